//! Request body parsing: the strict form parser of the OAuth endpoints
//! (`Params`), checked against `form_urlencoded`, the console's lenient
//! form parser, and the whole `OAuthRequest` extractor.
#![no_main]

use axum::body::Body;
use axum::extract::FromRequest;
use axum::http::{Request, header};
use flowgate::oauth::Params;
use flowgate::web::console::form::Form;
use flowgate::web::form::OAuthRequest;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a current-thread runtime")
    })
}

fuzz_target!(|body: &[u8]| {
    match Params::pairs(body) {
        Ok(pairs) => {
            // Where the body decodes to UTF-8 the strict parser agrees
            // with the WHATWG parser.
            let reference: Vec<(String, String)> =
                form_urlencoded::parse(body).into_owned().collect();
            assert_eq!(pairs, reference);
            let names: std::collections::HashSet<&str> =
                pairs.iter().map(|(k, _)| k.as_str()).collect();
            let strict = Params::from_pairs(pairs.clone());
            assert_eq!(strict.is_ok(), names.len() == pairs.len());
            if let Ok(params) = strict {
                for (name, value) in &pairs {
                    let expected = (!value.is_empty()).then_some(value.as_str());
                    assert_eq!(params.get(name), expected);
                }
            }
        }
        Err(e) => assert_eq!(e.description, "the request body is not valid UTF-8"),
    }
    let parsed = Params::parse(body);
    let _ = Form::parse(body);

    let request = Request::post("/integration/rest/oAuth/getToken")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body.to_vec()))
        .expect("a request");
    let extracted = runtime().block_on(OAuthRequest::from_request(request, &()));
    assert_eq!(extracted.is_ok(), parsed.is_ok());
});
