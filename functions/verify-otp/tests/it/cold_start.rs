//! A cold start with a bad setting stops with one line naming it.

#[test]
fn a_bad_setting_stops_the_cold_start_with_one_line_naming_it() {
    shared::testing::assert_bad_setting_stops_cold_start(env!("CARGO_BIN_EXE_verify-otp"));
}
