//! The operator's branding on the local page, as the deployment publishes it beside the page
//! (scripts/publish-page): `BRAND_NAME` (else the SMS brand), `BRAND_ACCENT_COLOR` (`#rrggbb`)
//! and `BRAND_LOGO` (an image file, served from the page's own origin at `/brand/logo.<ext>`,
//! since the page's Content-Security-Policy loads images from nowhere else).

use axum::body::Bytes;
use serde_json::{Value, json};
use shared::runtime::config::ConfigError;

/// The largest logo served: a logo is a few kilobytes; more is a mistake (a photo).
const MAX_LOGO_BYTES: usize = 256 * 1024;
const MAX_NAME_CHARS: usize = 40;

pub struct Brand {
    name: String,
    accent: Option<String>,
    logo: Option<Logo>,
}

pub struct Logo {
    pub path: String,
    pub content_type: &'static str,
    pub bytes: Bytes,
}

impl Brand {
    /// Reads the settings; `sms_brand` names the page when `BRAND_NAME` does not.
    pub fn from_env(env: &impl Fn(&str) -> Option<String>, sms_brand: &str) -> Result<Self, ConfigError> {
        let name = env("BRAND_NAME").unwrap_or_else(|| sms_brand.to_owned()).trim().to_owned();
        if name.chars().count() > MAX_NAME_CHARS {
            return Err(problem("BRAND_NAME", format!("must be at most {MAX_NAME_CHARS} characters")));
        }
        let accent = env("BRAND_ACCENT_COLOR").map(|c| c.trim().to_owned());
        if let Some(color) = &accent
            && !(color.len() == 7 && color.starts_with('#') && color[1..].bytes().all(|b| b.is_ascii_hexdigit()))
        {
            return Err(problem("BRAND_ACCENT_COLOR", format!("must be a colour as #rrggbb (got `{color}`)")));
        }
        let logo = env("BRAND_LOGO").map(|file| read_logo(&file)).transpose()?;
        Ok(Self { name, accent, logo })
    }

    /// The `brand` object of /config.json.
    pub fn config(&self) -> Value {
        json!({
            "name": self.name,
            "logo": self.logo.as_ref().map(|l| l.path.as_str()),
            "accentColor": self.accent,
        })
    }

    pub fn logo(&self) -> Option<&Logo> {
        self.logo.as_ref()
    }
}

fn read_logo(file: &str) -> Result<Logo, ConfigError> {
    let extension = file.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    let content_type = match extension.as_str() {
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "webp" => "image/webp",
        "jpg" | "jpeg" => "image/jpeg",
        _ => return Err(problem("BRAND_LOGO", format!("must be an .svg, .png, .webp or .jpg file (got `{file}`)"))),
    };
    let bytes = std::fs::read(file).map_err(|e| problem("BRAND_LOGO", format!("cannot read `{file}`: {e}")))?;
    if bytes.len() > MAX_LOGO_BYTES {
        return Err(problem("BRAND_LOGO", format!("must be at most {} KiB (`{file}`)", MAX_LOGO_BYTES / 1024)));
    }
    Ok(Logo { path: format!("/brand/logo.{extension}"), content_type, bytes: bytes.into() })
}

fn problem(variable: &'static str, problem: String) -> ConfigError {
    ConfigError { variable, problem }
}
