//! The checked-in retrieval corpus (`tests/corpus/`): three Markdown documents and
//! queries with their expected best chunk. zaby-server's end-to-end tests reuse the
//! same files, so this test pins what they must observe: the best chunk, its score
//! (to 1e-9) and the number of items (`topK` 5, `minScore` 0).

use std::path::Path;

use serde_json::Value;
use zaby_knowledge::{Doc, ScoreOptions, chunk_text, score};

struct Chunk {
    document: String,
    index: usize,
    heading: Option<String>,
    content: String,
    id: String,
}

fn load() -> (Value, Vec<Chunk>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let spec: Value = serde_json::from_str(&std::fs::read_to_string(dir.join("queries.json")).unwrap()).unwrap();
    let mut chunks = Vec::new();
    for name in spec["documents"].as_array().unwrap() {
        let name = name.as_str().unwrap();
        let text = std::fs::read_to_string(dir.join(name)).unwrap();
        for c in chunk_text(&text, 1000) {
            chunks.push(Chunk {
                document: name.to_string(),
                index: c.index,
                heading: c.heading,
                content: c.content,
                id: format!("{name}#{}", c.index),
            });
        }
    }
    (spec, chunks)
}

#[test]
fn the_corpus_chunks_by_section() {
    let (_, chunks) = load();
    let per_doc = |d: &str| chunks.iter().filter(|c| c.document == d).count();
    assert_eq!(per_doc("billing.md"), 4);
    assert_eq!(per_doc("onboarding.md"), 5);
    assert_eq!(per_doc("security.md"), 4);
}

#[test]
fn every_query_finds_its_expected_chunk_first() {
    let (spec, chunks) = load();
    let order: Vec<&str> = spec["documents"].as_array().unwrap().iter().map(|d| d.as_str().unwrap()).collect();
    let docs: Vec<Doc<'_, (usize, usize)>> = chunks
        .iter()
        .map(|c| Doc {
            id: &c.id,
            text: &c.content,
            tiebreak: (order.iter().position(|d| *d == c.document).unwrap(), c.index),
            embedding: None,
        })
        .collect();
    for q in spec["queries"].as_array().unwrap() {
        let query = q["query"].as_str().unwrap();
        let items = score(&docs, query, &ScoreOptions::default());
        let best = &chunks[items.first().unwrap_or_else(|| panic!("{query}: no items")).index];
        assert_eq!(best.document, q["document"].as_str().unwrap(), "{query}");
        assert_eq!(best.index as u64, q["index"].as_u64().unwrap(), "{query}");
        assert_eq!(best.heading.as_deref(), q["heading"].as_str(), "{query}");
        assert!(best.content.contains(q["contains"].as_str().unwrap()), "{query}: {}", best.content);
        assert_eq!(items.len() as u64, q["total"].as_u64().unwrap(), "{query}");
        let want = q["score"].as_f64().unwrap();
        assert!((items[0].score - want).abs() < 1e-9, "{query}: {} != {want}", items[0].score);
        assert!(items.iter().all(|i| i.score > 0.0 && i.score < 1.0));
    }
    for query in spec["noResults"].as_array().unwrap() {
        let query = query.as_str().unwrap();
        assert!(score(&docs, query, &ScoreOptions::default()).is_empty(), "{query}");
    }
}
