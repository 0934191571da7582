//! Who may sign in with an emailed link: the operator's choice of email domains, or the
//! people veche already knows (invited to a meeting, or organising one), or anyone.

use crate::ports::PortError;
use domain::values::EmailAddress;
use std::future::Future;

/// Whether veche knows a person: someone has invited them, or they organise a meeting.
pub trait KnownPeople: Send + Sync {
    fn is_known(&self, email: &EmailAddress) -> impl Future<Output = Result<bool, PortError>> + Send;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInPolicy {
    anyone: bool,
    /// Lowercase domains whose addresses may sign in.
    domains: Vec<String>,
    /// People veche knows may sign in whatever their domain.
    known_people: bool,
}

impl SignInPolicy {
    /// `domains` as the operator lists them (`*` lets anyone in); `known_people` adds
    /// everyone invited to or organising a meeting.
    pub fn new(domains: &[String], known_people: bool) -> Self {
        let domains: Vec<String> =
            domains.iter().map(|d| d.trim().trim_start_matches('@').to_lowercase()).filter(|d| !d.is_empty()).collect();
        Self { anyone: domains.iter().any(|d| d == "*"), domains, known_people }
    }

    pub fn anyone() -> Self {
        Self::new(&["*".into()], false)
    }

    /// Whether `email` may get a sign-in link.
    pub async fn admits(&self, email: &EmailAddress, people: &impl KnownPeople) -> Result<bool, PortError> {
        let domain = email.as_str().rsplit_once('@').map(|(_, domain)| domain.to_lowercase()).unwrap_or_default();
        if self.anyone || self.domains.contains(&domain) {
            return Ok(true);
        }
        if self.known_people {
            return people.is_known(email).await;
        }
        Ok(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Known(&'static [&'static str]);

    impl KnownPeople for Known {
        async fn is_known(&self, email: &EmailAddress) -> Result<bool, PortError> {
            Ok(self.0.contains(&email.as_str()))
        }
    }

    fn admits(policy: &SignInPolicy, address: &str) -> bool {
        let email = EmailAddress::parse(address).unwrap();
        futures_lite(policy.admits(&email, &Known(&["guest@elsewhere.net"])))
    }

    /// The policy's futures never wait on anything but the in-memory port.
    fn futures_lite<T>(future: impl Future<Output = Result<T, PortError>>) -> T {
        let waker = std::task::Waker::noop();
        let mut context = std::task::Context::from_waker(waker);
        let mut future = std::pin::pin!(future);
        match future.as_mut().poll(&mut context) {
            std::task::Poll::Ready(result) => result.unwrap(),
            std::task::Poll::Pending => unreachable!("the port answers at once"),
        }
    }

    #[test]
    fn an_address_of_a_listed_domain_may_sign_in_whatever_its_case() {
        let policy = SignInPolicy::new(&["Example.org".into(), "@corp.example".into()], false);
        assert!(admits(&policy, "ann@example.org"));
        assert!(admits(&policy, "Bob@EXAMPLE.ORG"));
        assert!(admits(&policy, "eve@corp.example"));
        assert!(!admits(&policy, "eve@example.org.evil.net"));
        assert!(!admits(&policy, "guest@elsewhere.net"));
    }

    #[test]
    fn someone_invited_may_sign_in_when_the_operator_lets_known_people_in() {
        let policy = SignInPolicy::new(&["example.org".into()], true);
        assert!(admits(&policy, "guest@elsewhere.net"));
        assert!(!admits(&policy, "stranger@elsewhere.net"));
    }

    #[test]
    fn a_star_lets_anyone_in() {
        assert!(admits(&SignInPolicy::anyone(), "stranger@elsewhere.net"));
        assert!(!admits(&SignInPolicy::new(&[], false), "stranger@elsewhere.net"));
    }
}
