//! The client's address with what the provider says added to it.

/// The client's registered `redirect_uri` (or post-logout address) with `params` and then `iss`
/// (RFC 9207) added to the query it registered, if any.
pub fn back_to<'a>(redirect_uri: &str, params: impl IntoIterator<Item = (&'a str, &'a str)>, issuer: &str) -> String {
    let mut url = reqwest::Url::parse(redirect_uri).expect("a registered redirect URI is absolute");
    url.query_pairs_mut().extend_pairs(params).append_pair("iss", issuer);
    url.into()
}
