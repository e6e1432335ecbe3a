//! The embedded web UI: the page, its modules and styles, with the right types.

use axum::http::{StatusCode, header};

use crate::support::{TestResult, body_bytes, get, library, state};

#[tokio::test]
async fn the_ui_is_served_with_module_script_and_no_inline_code() -> TestResult {
    let library = library()?;
    let state = state(&library)?;
    let page = get(&state, "/").await?;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(
        page.headers()[header::CONTENT_TYPE]
            .to_str()?
            .starts_with("text/html")
    );
    let html = String::from_utf8(body_bytes(page).await?)?;
    assert!(html.contains(r#"<script type="module" src="/js/app.js"></script>"#));
    assert!(!html.contains("<script>") && !html.contains(" style=") && !html.contains(" onclick="));

    for (uri, kind) in [
        ("/js/app.js", "javascript"),
        ("/style.css", "text/css"),
        ("/favicon.svg", "image/svg"),
    ] {
        let response = get(&state, uri).await?;
        assert_eq!(response.status(), StatusCode::OK, "{uri}");
        assert!(
            response.headers()[header::CONTENT_TYPE]
                .to_str()?
                .contains(kind),
            "{uri}"
        );
    }
    assert_eq!(
        get(&state, "/missing.js").await?.status(),
        StatusCode::NOT_FOUND
    );
    Ok(())
}
