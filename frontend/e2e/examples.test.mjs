// The example relying parties (examples/python/sign_in.py with Authlib, examples/node/sign-in.mjs
// with openid-client), run as their usage says, each signing a person in through the page in
// Chromium; and the login-CSRF attempt: a callback made with an attacker's verified number,
// opened in another browser, signs no one in.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { freePort, root, startServer } from "./harness.mjs";
import { codeStep, newContext, sendCode } from "./page.mjs";

const SECRET = "example-secret-0123456789abcdef012345";

/** Starts an example on `port`; resolves once it says where it listens. */
function startExample(command, args, env) {
  const child = spawn(command, args, { cwd: root, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  return new Promise((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`${args.join(" ")} did not start:\n${output}`)), 60_000);
    const read = (d) => {
      output += d;
      if (/on http:\/\/localhost:\d+/.test(output)) {
        clearTimeout(timer);
        done({ stop: () => child.kill(), output: () => output });
      }
    };
    child.stdout.on("data", read);
    child.stderr.on("data", (d) => (output += d));
    child.once("exit", (code) => fail(new Error(`${args.join(" ")} exited with ${code}:\n${output}`)));
  });
}

/** A person in `context` signs in at the application `app` with +1 415 555 `lastFour`; returns
 *  the page, back at the application. `stopAtCallback` leaves the callback unvisited and
 *  resolves with its address instead (what an attacker would hand a victim). */
async function signIn(context, app, server, lastFour, { stopAtCallback = false } = {}) {
  const page = await context.newPage();
  if (stopAtCallback) await page.route(`${app}/callback**`, (route) => route.fulfill({ status: 204 }));
  await page.goto(app);
  await page.getByRole("link", { name: "Sign in with your phone number" }).click();
  await sendCode(page, `415 555 ${lastFour}`);
  const code = await codeStep(page);
  const callback = page.waitForRequest((request) => request.url().startsWith(`${app}/callback`));
  await code.fill(await server.code(`+1415555${lastFour}`));
  if (stopAtCallback) return (await callback).url();
  // The application checked the ID token, then asked userinfo, which agreed.
  await page.getByText(`Signed in with +1415555${lastFour} (userinfo agrees)`).waitFor();
  return page;
}

describe("the example relying parties", () => {
  let server;
  const apps = {};
  const running = [];
  before(async () => {
    const ports = { pyPublic: await freePort(), pyConfidential: await freePort(), node: await freePort() };
    const back = (port) => [`http://localhost:${port}/callback`];
    const clients = [
      { clientId: "py-public", name: "Python app", redirectUris: back(ports.pyPublic) },
      { clientId: "py-confidential", name: "Python app", redirectUris: back(ports.pyConfidential) },
      { clientId: "node-app", name: "Node app", redirectUris: back(ports.node) },
    ];
    server = await startServer({
      RELYING_PARTIES: JSON.stringify(clients),
      RELYING_PARTY_SECRETS: JSON.stringify({ "py-confidential": SECRET, "node-app": SECRET }),
      OTP_RESEND_COOLDOWN_SECONDS: "0",
    });
    const issuer = server.url.replace("127.0.0.1", "localhost");
    const python = resolve(root, ".venv/bin/python");
    // Authlib refuses plain http unless told this is a provider on this machine.
    const py = { ISSUER: issuer, AUTHLIB_INSECURE_TRANSPORT: "1" };
    const examples = [
      ["pyPublic", python, ["examples/python/sign_in.py", `${ports.pyPublic}`], { ...py, CLIENT_ID: "py-public" }],
      [
        "pyConfidential",
        python,
        ["examples/python/sign_in.py", `${ports.pyConfidential}`],
        { ...py, CLIENT_ID: "py-confidential", CLIENT_SECRET: SECRET },
      ],
      [
        "node",
        process.execPath,
        ["examples/node/sign-in.mjs", `${ports.node}`],
        { ISSUER: issuer, CLIENT_ID: "node-app", CLIENT_SECRET: SECRET },
      ],
    ];
    for (const [name, command, args, env] of examples) {
      running.push(await startExample(command, args, env));
      apps[name] = `http://localhost:${ports[name]}`;
    }
  });
  after(async () => {
    running.forEach((example) => example.stop());
    await server.stop();
  });

  for (const [name, lastFour] of [
    ["pyPublic", "0701"],
    ["pyConfidential", "0702"],
    ["node", "0703"],
  ]) {
    it(`${name} signs a person in, and keeps them signed in`, async () => {
      const context = await newContext({ locale: "en-US" });
      const page = await signIn(context, apps[name], server, lastFour);
      await page.goto(apps[name]);
      await page.getByText(`Signed in with +1415555${lastFour}`).waitFor();
      await context.close();
    });
  }

  it("refuses a callback made in another browser (login CSRF)", async () => {
    for (const name of ["pyConfidential", "node"]) {
      const attacker = await newContext({ locale: "en-US" });
      const callback = await signIn(attacker, apps[name], server, "0704", { stopAtCallback: true });
      await attacker.close();
      assert.ok(callback?.includes("code="), `${name}: the attacker's callback: ${callback}`);
      const victim = await newContext({ locale: "en-US" });
      const page = await victim.newPage();
      const answer = await page.goto(callback);
      assert.equal(answer.status(), 400, name);
      assert.match(await page.textContent("body"), /No sign-in of yours is in progress here/);
      await page.goto(apps[name]);
      await page.getByText("Not signed in").waitFor();
      await victim.close();
    }
  });
});
