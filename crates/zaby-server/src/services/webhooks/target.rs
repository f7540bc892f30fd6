//! Where a webhook may be delivered (docs/webhooks.md, "Where deliveries may go"), and
//! an http function tool called (docs/function-tools.md), by the same rules:
//! `https://…` anywhere but link-local addresses — which is where cloud metadata
//! services answer — and `http://` only to a loopback host, for local development.
//! The URL is checked when it is saved, and the addresses its host resolves to before
//! every attempt, which then connects to exactly those addresses (a name that
//! resolves elsewhere between the check and the connection gains nothing).

use std::net::{IpAddr, SocketAddr};

use url::{Host, Url};

/// Link-local (169.254.0.0/16, fe80::/10, and IPv4 inside IPv6) or the AWS IPv6
/// metadata address.
fn forbidden(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_link_local(),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return v4.is_link_local();
            }
            let s = v6.segments();
            (s[0] & 0xffc0) == 0xfe80 || v6 == std::net::Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254)
        }
    }
}

fn loopback_host(host: &Host<&str>) -> bool {
    match host {
        Host::Domain(d) => d.eq_ignore_ascii_case("localhost"),
        Host::Ipv4(ip) => ip.is_loopback(),
        Host::Ipv6(ip) => ip.is_loopback(),
    }
}

/// Whether `url` may be saved as a webhook endpoint or a tool's URL; the error says
/// why not.
pub fn check_url(url: &str) -> Result<Url, String> {
    let parsed = Url::parse(url).map_err(|e| format!("must be an absolute URL ({e})"))?;
    let Some(host) = parsed.host() else {
        return Err("must name a host".into());
    };
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err("must not hold credentials (sign-in data in a URL ends up in logs)".into());
    }
    match parsed.scheme() {
        "https" => {}
        "http" if loopback_host(&host) => {}
        "http" => return Err("must be https:// (http:// is accepted only for a loopback host)".into()),
        other => return Err(format!("must be https://, not {other}://")),
    }
    let literal = match host {
        Host::Ipv4(ip) => Some(IpAddr::V4(ip)),
        Host::Ipv6(ip) => Some(IpAddr::V6(ip)),
        Host::Domain(_) => None,
    };
    if literal.is_some_and(forbidden) {
        return Err("points to a link-local address, where deliveries are refused".into());
    }
    Ok(parsed)
}

/// The checked URL, its host and the addresses to connect to.
pub struct Target {
    pub url: Url,
    pub host: String,
    pub addrs: Vec<SocketAddr>,
}

/// Why a URL is not called: the rules refuse it, or its host cannot be found now.
#[derive(Debug)]
pub enum Refusal {
    Forbidden(String),
    Unreachable(String),
}

/// Resolves the URL's host and checks every address; `http://` must stay on
/// loopback addresses.
pub async fn resolve(url: &str) -> Result<Target, Refusal> {
    let parsed = check_url(url).map_err(|why| Refusal::Forbidden(format!("the URL {why}")))?;
    let host = parsed.host_str().unwrap_or_default().trim_start_matches('[').trim_end_matches(']').to_string();
    let port = parsed.port_or_known_default().unwrap_or(443);
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), port))
        .await
        .map_err(|e| Refusal::Unreachable(format!("the host {host} could not be resolved: {e}")))?
        .collect();
    if addrs.is_empty() {
        return Err(Refusal::Unreachable(format!("the host {host} resolves to no address")));
    }
    if let Some(bad) = addrs.iter().find(|a| forbidden(a.ip())) {
        return Err(Refusal::Forbidden(format!(
            "the host {host} resolves to {}, a link-local address; refused",
            bad.ip()
        )));
    }
    if parsed.scheme() == "http"
        && let Some(bad) = addrs.iter().find(|a| !a.ip().is_loopback())
    {
        return Err(Refusal::Forbidden(format!(
            "the host {host} resolves to {}, not a loopback address; http:// is refused",
            bad.ip()
        )));
    }
    Ok(Target { url: parsed, host, addrs })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_anywhere_http_only_on_loopback_never_link_local() {
        assert!(check_url("https://hooks.example.com/zaby").is_ok());
        assert!(check_url("http://127.0.0.1:8080/in").is_ok());
        assert!(check_url("http://localhost/in").is_ok());
        assert!(check_url("http://[::1]:9/in").is_ok());
        assert!(check_url("http://hooks.example.com/in").unwrap_err().contains("https://"));
        assert!(check_url("ftp://hooks.example.com/in").unwrap_err().contains("ftp"));
        assert!(check_url("https://169.254.169.254/latest").unwrap_err().contains("link-local"));
        assert!(check_url("https://[fe80::1]/x").unwrap_err().contains("link-local"));
        assert!(check_url("https://[::ffff:169.254.1.1]/x").unwrap_err().contains("link-local"));
        assert!(check_url("https://[fd00:ec2::254]/x").unwrap_err().contains("link-local"));
        assert!(check_url("https://user:pw@hooks.example.com/").unwrap_err().contains("credentials"));
        assert!(check_url("hooks.example.com").is_err());
    }

    #[tokio::test]
    async fn resolution_keeps_http_on_loopback() {
        let t = resolve("http://localhost:9/x").await.unwrap();
        assert!(t.addrs.iter().all(|a| a.ip().is_loopback() && a.port() == 9));
        assert!(resolve("http://127.0.0.1:9/x").await.is_ok());
    }
}
