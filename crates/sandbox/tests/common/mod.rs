//! A sandbox on 127.0.0.1:0 per test, and a client that speaks to it as the
//! companion and the Connect modal do.

#![allow(dead_code)] // each test binary uses a different subset

use std::time::Duration;

pub use pelm_sandbox::{Clock, Config, Sandbox};
use reqwest::{Client, RequestBuilder, StatusCode};
use serde_json::{json, Value};

pub async fn spawn_sandbox(data_delay: Duration) -> Pelm {
    spawn_with(|config| config.data_delay = data_delay).await
}

pub async fn spawn_with(configure: impl FnOnce(&mut Config)) -> Pelm {
    let mut config = Config::random();
    configure(&mut config);
    let clock = Clock::system();
    let spawned = pelm_sandbox::spawn(Sandbox::with_clock(config.clone(), clock.clone())).await.unwrap();
    Pelm { url: spawned.url(), config, clock, http: Client::new() }
}

pub struct Pelm {
    pub url: String,
    pub config: Config,
    pub clock: Clock,
    pub http: Client,
}

impl Pelm {
    pub fn signed(&self, request: RequestBuilder) -> RequestBuilder {
        request.header("Pelm-Client-Id", &self.config.client_id).header("Pelm-Secret", &self.config.secret)
    }

    pub async fn connect_token(&self, user_id: &str) -> String {
        let response = self
            .signed(self.http.post(format!("{}/auth/connect-token", self.url)))
            .form(&[("user_id", user_id)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["expires_in"], 1800);
        body["connect_token"].as_str().unwrap().to_owned()
    }

    pub async fn modal(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let response = self.http.post(format!("{}/connect/api/{path}", self.url)).json(&body).send().await.unwrap();
        (response.status(), response.json().await.unwrap())
    }

    pub async fn login(&self, token: &str, utility_id: &str, username: &str, password: &str) -> (StatusCode, Value) {
        self.modal(
            "login",
            json!({"connect_token": token, "utility_id": utility_id, "username": username, "password": password}),
        )
        .await
    }

    pub async fn code_for(&self, user_id: &str) -> String {
        let token = self.connect_token(user_id).await;
        pelm_sandbox::test_support::sign_in(&self.http, &self.url, &token, "1", "user@pelm.com").await.expect("sign-in")
    }

    pub async fn exchange(&self, code: &str) -> (StatusCode, Value) {
        let response = self
            .signed(self.http.post(format!("{}/auth/token", self.url)))
            .form(&[("code", code), ("grant_type", "code")])
            .send()
            .await
            .unwrap();
        (response.status(), response.json().await.unwrap())
    }

    pub async fn access_token(&self, user_id: &str) -> String {
        let code = self.code_for(user_id).await;
        let (status, body) = self.exchange(&code).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["access_token"].as_str().unwrap().to_owned()
    }

    pub async fn accounts(&self, token: &str) -> (StatusCode, Value) {
        let response =
            self.signed(self.http.get(format!("{}/accounts", self.url))).bearer_auth(token).send().await.unwrap();
        (response.status(), response.json().await.unwrap())
    }
}
