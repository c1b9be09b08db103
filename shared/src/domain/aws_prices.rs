//! AWS End User Messaging SMS and voice list prices per country (placeholder until researched).

pub const AWS_SMS_UNLISTED: &str = "0.40";
pub const AWS_SMS_ESTIMATES: &[(&str, &str)] = &[("GB", "0.04"), ("US", "0.009")];
pub const AWS_VOICE_UNLISTED: &str = "0.60";
pub const AWS_VOICE_ESTIMATES: &[(&str, &str)] = &[("GB", "0.04"), ("US", "0.014")];
