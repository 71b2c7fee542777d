//! What the browser downloads: the release build's own compressed copies,
//! sent as they are, so the sizes in docs/benchmark.md are the bytes on the wire.

use std::io::Read;

use pelm_e2e::{app_files, dist_dir, is_later_part, spawn_demo};

#[tokio::test]
async fn every_file_of_the_build_goes_out_as_its_best_compressed_copy() {
    let dist = dist_dir();
    let demo = spawn_demo(|_| {}).await;
    let client = reqwest::Client::builder().no_gzip().no_brotli().build().unwrap();
    let files = app_files(&dist);
    // The first part's wasm and glue, the loader of the later parts, and the
    // later parts themselves (a connected user's pages, the exports'
    // writers, the bills page's money, the language, the tariffs, and chunks
    // of what they share, one for each set of parts that shares code). The stylesheet is in the
    // page, so its outline paints with the first answer.
    let later: Vec<String> = files
        .iter()
        .filter(|f| is_later_part(f))
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(files.len(), 3 + later.len(), "{files:?}");
    let page = std::fs::read_to_string(dist.join("index.html")).unwrap();
    assert!(page.contains("<style") && page.contains(".pelm-energy"), "the stylesheet is not in the page");
    assert!(page.contains("data-pelm-outline"), "the page has no outline to paint before the wasm");
    assert!(later.iter().any(|f| f.starts_with("pelm-energy-connected-")), "{later:?}");
    assert!(later.iter().any(|f| f.starts_with("pelm-energy-exports-")), "{later:?}");
    assert!(later.iter().any(|f| f.starts_with("pelm-energy-money-")), "{later:?}");
    assert!(later.iter().any(|f| f.starts_with("pelm-energy-language-")), "{later:?}");
    assert!(later.iter().any(|f| f.starts_with("pelm-energy-tariffs-")), "{later:?}");
    let parts = ["-connected-", "-exports-", "-money-", "-language-", "-tariffs-"];
    let others = later.iter().filter(|f| !parts.iter().any(|p| f.contains(p)));
    assert!(others.clone().all(|f| f.starts_with("pelm-energy-chunk-")), "{later:?}");
    // Five parts can share in 26 ways: ten pairs, ten threes, five fours, and all five.
    assert!(others.count() <= 26, "{later:?}");

    for file in files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let raw = std::fs::read(&file).unwrap();
        for (encoding, suffix) in [("br", "br"), ("gzip", "gz")] {
            let copy = std::fs::read(format!("{}.{suffix}", file.display()))
                .unwrap_or_else(|err| panic!("{name}.{suffix}: {err}; the post-build hook makes it"));
            let mut decoder: Box<dyn Read> = match encoding {
                "br" => Box::new(brotli::Decompressor::new(&copy[..], 4096)),
                _ => Box::new(flate2::read::GzDecoder::new(&copy[..])),
            };
            let mut unpacked = Vec::new();
            decoder.read_to_end(&mut unpacked).unwrap();
            assert!(unpacked == raw, "{name}.{suffix} is not a copy of {name} from the same build");

            let response = client
                .get(format!("{}/{name}", demo.url))
                .header("Accept-Encoding", format!("{encoding}, identity"))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200, "{name}");
            let headers = response.headers().clone();
            assert_eq!(headers.get("content-encoding").map(|v| v.to_str().unwrap()), Some(encoding), "{name}");
            assert_eq!(headers.get("vary").map(|v| v.to_str().unwrap()), Some("accept-encoding"), "{name}");
            // Every name carries its content's hash, so a browser keeps it for good.
            assert_eq!(
                headers.get("cache-control").map(|v| v.to_str().unwrap()),
                Some("public, max-age=31536000, immutable"),
                "{name}"
            );
            let body = response.bytes().await.unwrap();
            assert!(body == copy, "{name} as {encoding}: {} bytes sent, the copy has {}", body.len(), copy.len());
        }
    }
}
