//! A request's parameters as OAuth reads them (RFC 6749 §3.1, §3.2): decoded, in order, and
//! none more than once.

/// The parameters of a query or a form.
#[derive(Debug, Clone, Copy)]
pub struct Params<'a>(pub &'a [(String, String)]);

impl<'a> Params<'a> {
    /// The value of `name` when it is given exactly once.
    pub fn once(&self, name: &str) -> Option<&'a str> {
        let mut values = self.0.iter().filter(|(n, _)| n == name).map(|(_, v)| v.as_str());
        match (values.next(), values.next()) {
            (Some(value), None) => Some(value),
            _ => None,
        }
    }

    /// The same, unless it is empty (which RFC 6749 §3.1 reads as absent).
    pub fn given(&self, name: &str) -> Option<&'a str> {
        self.once(name).filter(|v| !v.is_empty())
    }

    /// Whether any parameter is given more than once.
    pub fn repeated(&self) -> bool {
        self.0.iter().enumerate().any(|(i, (name, _))| self.0[..i].iter().any(|(n, _)| n == name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parameter_given_twice_is_no_parameter_and_makes_the_request_repeated() {
        let pairs: Vec<(String, String)> =
            [("a", "1"), ("b", ""), ("c", "3"), ("a", "2")].map(|(n, v)| (n.to_owned(), v.to_owned())).into();
        let params = Params(&pairs);
        assert_eq!((params.once("a"), params.once("c"), params.once("d")), (None, Some("3"), None));
        assert_eq!((params.once("b"), params.given("b")), (Some(""), None));
        assert!(params.repeated());
        assert!(!Params(&pairs[..3]).repeated());
    }
}
