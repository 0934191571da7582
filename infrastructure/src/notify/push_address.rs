//! Which push endpoints veche may reach. A browser hands veche a URL to post to, so a
//! subscription is a way to make veche send requests: unless the operator allows private
//! addresses (`VECHE_PUSH_ALLOW_PRIVATE`, for a push service inside the network, and the
//! tests' own), an endpoint must be https on a public address, its host name must resolve
//! to public addresses only when the push is sent (a name that resolved elsewhere at
//! subscription time cannot be pointed inside later), and no redirect is followed.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// Whether an address is on the public internet: not loopback, private, link-local,
/// shared (CGNAT), unspecified, broadcast, multicast or documentation.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)))
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local
        || (first & 0xffc0) == 0xfe80 // link-local
        || first == 0x2001 && ip.segments()[1] == 0x0db8) // documentation
}

/// Why an endpoint URL is refused, or `None` when veche may post to it. Host names are
/// checked again when they are resolved ([`PublicOnly`]).
pub fn refusal(url: &reqwest::Url, allow_private: bool) -> Option<&'static str> {
    let host = url.host_str().unwrap_or_default().trim_start_matches('[').trim_end_matches(']');
    let inside = host.eq_ignore_ascii_case("localhost") || host.parse::<IpAddr>().is_ok_and(|ip| !is_public(ip));
    match url.scheme() {
        "https" if !inside || allow_private => None,
        "https" => Some("must be on a public address"),
        // Plain http only to a push service inside the network, and only when allowed.
        "http" if inside && allow_private => None,
        _ => Some("must be an https URL"),
    }
}

/// A resolver that answers only public addresses: a push service's name that resolves to
/// an address inside the network is refused when the push is sent.
pub struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        Box::pin(async move {
            let addresses: Vec<SocketAddr> = tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> = addresses.into_iter().filter(|address| is_public(address.ip())).collect();
            if public.is_empty() {
                return Err(format!("{} resolves to no public address", name.as_str()).into());
            }
            Ok(Box::new(public.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_inside_a_network_are_not_public() {
        for inside in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:10.0.0.1",
        ] {
            assert!(!is_public(inside.parse().unwrap()), "{inside}");
        }
        for outside in ["8.8.8.8", "142.250.0.1", "2a00:1450::1"] {
            assert!(is_public(outside.parse().unwrap()), "{outside}");
        }
    }

    #[test]
    fn an_endpoint_must_be_https_on_a_public_address_unless_private_ones_are_allowed() {
        let url = |text: &str| reqwest::Url::parse(text).unwrap();
        assert_eq!(refusal(&url("https://push.example.net/x"), false), None);
        assert_eq!(refusal(&url("http://push.example.net/x"), false), Some("must be an https URL"));
        assert_eq!(refusal(&url("https://169.254.169.254/latest"), false), Some("must be on a public address"));
        assert_eq!(refusal(&url("https://localhost:9000/x"), false), Some("must be on a public address"));
        assert_eq!(refusal(&url("https://[::1]/x"), false), Some("must be on a public address"));
        assert_eq!(refusal(&url("http://127.0.0.1:9000/x"), true), None);
        assert_eq!(refusal(&url("http://push.example.net/x"), true), Some("must be an https URL"));
        assert_eq!(refusal(&url("ftp://127.0.0.1/x"), true), Some("must be an https URL"));
    }
}
