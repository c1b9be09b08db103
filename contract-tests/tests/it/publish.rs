//! scripts/publish-page as the deploy job runs it, with the AWS CLI replaced by a recorder that
//! answers the stack's outputs: the `/config.json` it publishes carries the branding in the shape
//! the page reads (`frontend/src/config.ts`, as `otp-local` serves it) from the template's
//! `PageName` and `AccentColor` outputs, whatever characters the name holds, and the logo goes
//! beside the page with its type.

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};

use crate::deployment::template;

/// An `aws` that logs each call, answers `describe-stacks` from `FAKE_OUTPUT_<key>`, and keeps
/// what `s3 cp` uploads under `$FAKE_AWS_DIR/uploads`.
const FAKE_AWS: &str = r#"#!/usr/bin/env bash
set -euo pipefail
printf '%s\n' "$*" >>"$FAKE_AWS_DIR/calls"
case "$1 $2" in
  "cloudformation describe-stacks")
    key=$(printf '%s' "$*" | sed -n "s/.*OutputKey=='\([A-Za-z]*\)'.*/\1/p")
    var="FAKE_OUTPUT_$key"
    printf '%s\n' "${!var:-None}" ;;
  "s3 cp")
    mkdir -p "$FAKE_AWS_DIR/uploads"
    name=$(basename "$4")
    if [ "$3" = - ]; then cat >"$FAKE_AWS_DIR/uploads/$name"; else cp "$3" "$FAKE_AWS_DIR/uploads/$name"; fi ;;
  "cloudfront create-invalidation") echo I123 ;;
esac
"#;

/// The repository's files publish-page reads, and a built page, under `dir`.
fn checkout(dir: &Path) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    for file in ["scripts/publish-page", "scripts/samconfig", "samconfig.toml"] {
        std::fs::create_dir_all(dir.join(file).parent().unwrap()).unwrap();
        std::fs::copy(root.join(file), dir.join(file)).unwrap();
    }
    std::fs::create_dir_all(dir.join("frontend/dist/assets")).unwrap();
    std::fs::write(dir.join("frontend/dist/index.html"), "<!doctype html>").unwrap();
}

/// The stack's branding outputs: the page's name and its accent colour, each absent when `None`.
struct BrandOutputs<'a> {
    name: Option<&'a str>,
    accent: Option<&'a str>,
}

fn publish(dir: &Path, logo: &str, brand: &BrandOutputs) -> std::process::Output {
    let bin = dir.join("fake-bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::write(bin.join("aws"), FAKE_AWS).unwrap();
    Command::new("chmod").arg("+x").arg(bin.join("aws")).status().unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let mut command = Command::new("bash");
    command
        .arg(dir.join("scripts/publish-page"))
        .env("PATH", path)
        .env("FAKE_AWS_DIR", dir)
        .env("AWS_REGION", "eu-west-1")
        .env("BRAND_LOGO", logo)
        .env("FAKE_OUTPUT_BucketName", "phone-verification-dev-site")
        .env("FAKE_OUTPUT_DistributionId", "E123")
        .env("FAKE_OUTPUT_SiteUrl", "https://d123.cloudfront.net")
        // A stack deployed before the clients stopped being published still has this output.
        .env(
            "FAKE_OUTPUT_RelyingParties",
            r#"[{"clientId": "shop", "name": "Shop", "redirectUris": ["https://shop.example/cb"]}]"#,
        );
    if let Some(name) = brand.name {
        command.env("FAKE_OUTPUT_PageName", name);
    }
    if let Some(accent) = brand.accent {
        command.env("FAKE_OUTPUT_AccentColor", accent);
    }
    command.output().unwrap()
}

/// The template's branding outputs are the parameters' plain values (the name: PageName, else
/// the Brand; the accent colour only when there is one), for publish-page to put in JSON itself.
#[test]
fn the_template_outputs_the_branding_as_plain_values() {
    let outputs = &template()["Outputs"];
    assert_eq!(outputs["PageName"]["Value"], json!({"Fn::If": ["HasPageName", {"Ref": "PageName"}, {"Ref": "Brand"}]}));
    assert_eq!(outputs["AccentColor"]["Value"], json!({"Ref": "AccentColor"}));
    assert_eq!(outputs["AccentColor"]["Condition"], "HasAccentColor");
    assert!(outputs.get("RelyingParties").is_none(), "the clients are verify-otp's alone, never published");
}

#[test]
fn the_page_is_published_with_the_branding_the_page_reads() {
    let dir = std::env::temp_dir().join(format!("publish-page-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    checkout(&dir);
    let logo = dir.join("acme.svg");
    std::fs::write(&logo, "<svg xmlns=\"http://www.w3.org/2000/svg\"/>").unwrap();

    // A name with a quote and a backslash arrives in config.json letter for letter.
    let name = r#"Acme "Bank" \ Co"#;
    let brand = BrandOutputs { name: Some(name), accent: Some("#7B1FA2") };
    let out = publish(&dir, logo.to_str().unwrap(), &brand);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let config: Value = serde_json::from_slice(&std::fs::read(dir.join("uploads/config.json")).unwrap()).unwrap();
    assert_eq!(
        config,
        json!({"brand": {"name": name, "logo": "/brand/logo.svg", "accentColor": "#7B1FA2"}}),
        "the branding alone: never the clients"
    );
    assert_eq!(std::fs::read(dir.join("uploads/logo.svg")).unwrap(), std::fs::read(&logo).unwrap());
    let calls = std::fs::read_to_string(dir.join("calls")).unwrap();
    let upload = calls.lines().find(|c| c.contains("s3://phone-verification-dev-site/brand/logo.svg")).unwrap();
    assert!(upload.contains("--content-type image/svg+xml"), "{upload}");
    let invalidation = calls.lines().find(|c| c.starts_with("cloudfront create-invalidation")).unwrap();
    assert!(invalidation.contains("/config.json /brand/*"), "{invalidation}");

    // No accent colour, no logo: the page's defaults.
    let _ = std::fs::remove_dir_all(dir.join("uploads"));
    let out = publish(&dir, "", &BrandOutputs { name: Some("Verify"), accent: None });
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let config: Value = serde_json::from_slice(&std::fs::read(dir.join("uploads/config.json")).unwrap()).unwrap();
    assert_eq!(config["brand"], json!({"name": "Verify", "logo": null, "accentColor": null}));

    // A stack deployed before the branding has neither output: no brand, the page's defaults.
    let _ = std::fs::remove_dir_all(dir.join("uploads"));
    let out = publish(&dir, "", &BrandOutputs { name: None, accent: None });
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let config: Value = serde_json::from_slice(&std::fs::read(dir.join("uploads/config.json")).unwrap()).unwrap();
    assert_eq!(config["brand"], json!({"name": null, "logo": null, "accentColor": null}));

    // A logo of a type the page's policy and the browsers would not take stops the publish.
    let out = publish(&dir, "logo.gif", &brand);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("BRAND_LOGO must be"));
    std::fs::remove_dir_all(&dir).unwrap();
}
