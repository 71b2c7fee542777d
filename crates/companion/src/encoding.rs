//! Compressing the API's answers: what a client accepts, the levels used,
//! and which answers are never compressed.
//!
//! Most answers go through tower-http's compression layer ([`layer`]) at
//! levels that cost little CPU (brotli 4, gzip 6). Answers the companion
//! keeps in its cache are compressed here instead, once, and kept that way
//! ([`Encoding::compress`]): a cache hit then costs no compression at all.
//!
//! Compression can leak a secret when an answer holds the secret beside
//! text an attacker chose (BREACH). The answers that carry a credential (a
//! Connect token) are marked [`Uncompressed`] and never compressed; the
//! others hold the user's own data and nothing an attacker can put in them.

use std::io::Write;

use axum::body::Bytes;
use axum::http::{header, HeaderMap, HeaderValue};
use tokio::sync::Semaphore;
use tower_http::compression::predicate::{NotForContentType, Predicate, SizeAbove};
use tower_http::compression::CompressionLayer;

/// Answers shorter than this go as they are: compressing them saves less
/// than it costs.
const SMALLEST: u16 = 1024;
/// Brotli's quality and window for answers compressed once and kept: a
/// little above the layer's 4, since a kept answer is sent many times.
const BROTLI_QUALITY: u32 = 5;
const BROTLI_WINDOW: u32 = 22;
const GZIP_LEVEL: u32 = 6;

/// Marks an answer that must never be compressed: it carries a credential.
#[derive(Debug, Clone, Copy)]
pub struct Uncompressed;

/// The compression layer for the API: every answer a client accepts
/// compressed, except short ones, PDFs (compressed already) and those
/// marked [`Uncompressed`].
pub fn layer() -> CompressionLayer<impl Predicate> {
    let marked = |_, _, _: &HeaderMap, extensions: &axum::http::Extensions| extensions.get::<Uncompressed>().is_none();
    let predicate = SizeAbove::new(SMALLEST).and(NotForContentType::const_new("application/pdf")).and(marked);
    CompressionLayer::new().compress_when(predicate)
}

/// A content coding the companion writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    Identity,
    Gzip,
    Brotli,
}

impl Encoding {
    /// The best coding `Accept-Encoding` allows: brotli, then gzip, then
    /// none. A coding at `q=0` is refused, as is any the header leaves out
    /// unless `*` takes it.
    pub fn accepted(headers: &HeaderMap) -> Self {
        let quality = |name: &str| -> Option<f32> {
            let mut star = None;
            for value in headers.get_all(header::ACCEPT_ENCODING) {
                for item in value.to_str().unwrap_or_default().split(',') {
                    let mut parts = item.split(';');
                    let coding = parts.next().unwrap_or_default().trim();
                    let q = parts
                        .find_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.trim().parse::<f32>().ok()))
                        .unwrap_or(1.0);
                    if coding.eq_ignore_ascii_case(name) {
                        return Some(q);
                    }
                    if coding == "*" {
                        star = Some(q);
                    }
                }
            }
            star
        };
        let (br, gzip) = (quality("br").unwrap_or(0.0), quality("gzip").unwrap_or(0.0));
        if br > 0.0 && br >= gzip {
            Encoding::Brotli
        } else if gzip > 0.0 {
            Encoding::Gzip
        } else {
            Encoding::Identity
        }
    }

    /// The `Content-Encoding` header's value, if any.
    pub fn header(self) -> Option<HeaderValue> {
        match self {
            Encoding::Identity => None,
            Encoding::Gzip => Some(HeaderValue::from_static("gzip")),
            Encoding::Brotli => Some(HeaderValue::from_static("br")),
        }
    }

    /// A short tag for cache keys.
    pub fn tag(self) -> &'static str {
        match self {
            Encoding::Identity => "identity",
            Encoding::Gzip => "gzip",
            Encoding::Brotli => "br",
        }
    }

    /// `bytes` in this coding. Large bodies are compressed off the async
    /// threads, so one big answer does not hold up the others.
    pub async fn compress(self, bytes: Bytes) -> Bytes {
        if self == Encoding::Identity {
            return bytes;
        }
        if bytes.len() < 64 * 1024 {
            return self.compress_now(&bytes);
        }
        // As many at once as there are cores: more would not finish sooner,
        // and each holds its encoder's buffers (and, under glibc, may claim
        // an arena of its own that is never given back).
        let _turn = LARGE_AT_ONCE.get_or_init(|| Semaphore::new(cores())).acquire().await;
        tokio::task::spawn_blocking(move || self.compress_now(&bytes)).await.unwrap_or_default()
    }

    fn compress_now(self, bytes: &[u8]) -> Bytes {
        let mut out = Vec::with_capacity(bytes.len() / 4 + 64);
        match self {
            Encoding::Identity => out.extend_from_slice(bytes),
            Encoding::Gzip => {
                let mut encoder = flate2::write::GzEncoder::new(out, flate2::Compression::new(GZIP_LEVEL));
                encoder.write_all(bytes).expect("writing to memory");
                out = encoder.finish().expect("writing to memory");
            }
            Encoding::Brotli => {
                let params = brotli::enc::BrotliEncoderParams {
                    quality: BROTLI_QUALITY as i32,
                    lgwin: BROTLI_WINDOW as i32,
                    ..Default::default()
                };
                brotli::BrotliCompress(&mut &bytes[..], &mut out, &params).expect("writing to memory");
            }
        }
        Bytes::from(out)
    }
}

static LARGE_AT_ONCE: std::sync::OnceLock<Semaphore> = std::sync::OnceLock::new();

fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accepting(value: &str) -> Encoding {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT_ENCODING, HeaderValue::from_str(value).unwrap());
        Encoding::accepted(&headers)
    }

    #[test]
    fn takes_the_best_coding_the_client_accepts() {
        assert_eq!(accepting("gzip, deflate, br, zstd"), Encoding::Brotli, "as Chromium sends it");
        assert_eq!(accepting("gzip"), Encoding::Gzip);
        assert_eq!(accepting("br;q=0.5, gzip"), Encoding::Gzip, "gzip preferred by its weight");
        assert_eq!(accepting("br;q=0, gzip;q=0"), Encoding::Identity);
        assert_eq!(accepting("*"), Encoding::Brotli);
        assert_eq!(accepting("*;q=0, gzip"), Encoding::Gzip);
        assert_eq!(accepting("identity"), Encoding::Identity);
        assert_eq!(accepting(""), Encoding::Identity);
        assert_eq!(Encoding::accepted(&HeaderMap::new()), Encoding::Identity);
    }

    #[tokio::test]
    async fn an_answer_with_a_credential_is_never_compressed() {
        use axum::routing::get;
        use tower::ServiceExt;
        let long = "x".repeat(4096);
        let (secret, data) = (long.clone(), long);
        let app = axum::Router::new()
            .route("/secret", get(move || async move { (axum::Extension(Uncompressed), secret) }))
            .route("/data", get(move || async move { data }))
            .layer(layer());
        for (path, compressed) in [("/secret", false), ("/data", true)] {
            let request =
                axum::http::Request::get(path).header("accept-encoding", "br").body(axum::body::Body::empty());
            let response = app.clone().oneshot(request.unwrap()).await.unwrap();
            assert_eq!(response.headers().contains_key(header::CONTENT_ENCODING), compressed, "{path}");
        }
    }

    #[tokio::test]
    async fn compresses_so_that_the_client_reads_back_the_same_bytes() {
        let text: Bytes = (0..2000).map(|i| format!("{{\"usage\": {}.{}}},", i % 7, i % 13)).collect::<String>().into();
        let br = Encoding::Brotli.compress(text.clone()).await;
        let mut plain = Vec::new();
        brotli::BrotliDecompress(&mut &br[..], &mut plain).unwrap();
        assert_eq!(plain, text);
        assert!(br.len() * 5 < text.len(), "{} of {}", br.len(), text.len());
        let gz = Encoding::Gzip.compress(text.clone()).await;
        let mut plain = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gz[..]), &mut plain).unwrap();
        assert_eq!(plain, text);
    }
}
