//! A cold start with a bad setting stops with one line naming it.

#[test]
fn a_bad_setting_stops_the_cold_start_with_one_line_naming_it() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_request-otp"))
        .env_clear()
        .envs([("VONAGE_BRAND", "ACME"), ("VONAGE_API_KEY", "key"), ("VONAGE_API_SECRET", "secret")])
        .envs([("PHONE_HASH_KEY", "0123456789abcdef0123456789abcdef"), ("TABLE_NAME", "verifications")])
        .env("OTP_TTL_SECONDS", "30")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr, "configuration error: OTP_TTL_SECONDS must be a whole number from 60 to 900 (got `30`)\n");
}
