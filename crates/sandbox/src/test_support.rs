//! For tests and benchmarks that go through Connect as a user would, without
//! a browser: the one sign-in they share. Built with the `test-support`
//! feature, which brings an HTTP client the sandbox itself does not need.

use serde_json::{json, Value};

/// Signs in at `utility_id` as `username` (every test login's password is
/// `password`) through Connect's own API, as the modal does, with the Connect
/// token a site's backend got; answers the authorization code Connect would
/// hand to `onSuccess`.
pub async fn sign_in(
    http: &reqwest::Client,
    sandbox_url: &str,
    connect_token: &str,
    utility_id: &str,
    username: &str,
) -> Result<String, String> {
    let body =
        json!({"connect_token": connect_token, "utility_id": utility_id, "username": username, "password": "password"});
    let url = format!("{}/connect/api/login", sandbox_url.trim_end_matches('/'));
    let answer = http.post(url).json(&body).send().await.map_err(|e| format!("login: {e}"))?;
    let status = answer.status();
    let body: Value = answer.json().await.map_err(|e| format!("login body: {e}"))?;
    if !status.is_success() {
        return Err(format!("login: {status} {body}"));
    }
    body["authorization_code"].as_str().map(str::to_owned).ok_or_else(|| format!("no authorization_code in {body}"))
}
