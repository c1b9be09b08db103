//! Private keys as operators hand them over: PKCS#8 PEM blocks (`openssl genpkey` writes them),
//! one or several in a text. Used for the ID tokens' signing keys and Vonage's application key.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

pub const PEM_BEGIN: &str = "-----BEGIN PRIVATE KEY-----";
pub const PEM_END: &str = "-----END PRIVATE KEY-----";

/// The DER of each PEM block in `pems`. A block of another kind (a SEC1 `EC PRIVATE KEY`, an
/// `ENCRYPTED PRIVATE KEY`, a certificate) is refused, not passed over: a key the operator meant
/// to rotate in would otherwise be missing without a word.
pub fn pem_blocks(pems: &str) -> Result<Vec<Vec<u8>>, String> {
    let mut blocks = Vec::new();
    let mut rest = pems;
    while let Some(start) = rest.find("-----BEGIN ") {
        if !rest[start..].starts_with(PEM_BEGIN) {
            // Named only when it looks like a label: a mistyped header must not print the key.
            let label = rest[start + "-----BEGIN ".len()..].split("-----").next().unwrap_or_default();
            let label = if label.len() <= 40 && label.bytes().all(|b| b.is_ascii_uppercase() || b == b' ') {
                format!("`{label}`")
            } else {
                "not a PEM header we know".to_owned()
            };
            return Err(format!(
                "key {} is {label}, not PKCS#8 ({PEM_BEGIN}): convert it with `openssl pkcs8 -topk8 -nocrypt`",
                blocks.len() + 1
            ));
        }
        let after = &rest[start + PEM_BEGIN.len()..];
        let end = after.find(PEM_END).ok_or_else(|| format!("has a {PEM_BEGIN} without its {PEM_END}"))?;
        let body: String = after[..end].chars().filter(|c| !c.is_whitespace()).collect();
        blocks.push(STANDARD.decode(body).map_err(|_| format!("key {} is not base64", blocks.len() + 1))?);
        rest = &after[end + PEM_END.len()..];
    }
    Ok(blocks)
}
