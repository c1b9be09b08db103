// Lambda's runtime loop for the peer, as small as Node's managed runtime does it: ask the Runtime
// API for the next event, run the handler, post its answer. The handler's module is loaded first,
// at init (its clients are made then), as Lambda loads it.

import http from "node:http";
import { pathToFileURL } from "node:url";

const [host, port] = process.env.AWS_LAMBDA_RUNTIME_API.split(":");
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const base = "/2018-06-01/runtime/invocation";

function call(method, path, payload) {
  return new Promise((resolve, reject) => {
    const request = http.request({ host, port, method, path, agent }, (response) => {
      const chunks = [];
      response.on("data", (chunk) => chunks.push(chunk));
      response.on("end", () => resolve({ headers: response.headers, body: Buffer.concat(chunks).toString() }));
    });
    request.on("error", reject);
    request.end(payload);
  });
}

const { handler } = await import(pathToFileURL(process.env.PEER_HANDLER).href);
for (;;) {
  const next = await call("GET", `${base}/next`);
  const id = next.headers["lambda-runtime-aws-request-id"];
  try {
    const result = await handler(JSON.parse(next.body));
    await call("POST", `${base}/${id}/response`, JSON.stringify(result));
  } catch (e) {
    const error = JSON.stringify({ errorType: e?.name ?? "Error", errorMessage: String(e?.message ?? e) });
    await call("POST", `${base}/${id}/error`, error);
  }
}
