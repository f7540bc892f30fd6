//! BM25, hybrid scoring and ordering (`docs/api/knowledge-bases.md` "Scoring"), checked against
//! values computed by hand.
//!
//! Corpus: d0 "apple banana apple" (3 terms), d1 "banana cherry" (2), d2 "cherry date
//! elderberry fig" (4); N = 3, avglen = 3. Query "apple cherry":
//! idf(apple) = ln(1 + 2.5/1.5) = ln(8/3), idf(cherry) = ln(1 + 1.5/2.5) = ln(1.6).
//! Normalizer: 2.2·(ln(8/3) + ln 1.6).
//! d0: tf 2, norm 1.2·(0.25 + 0.75·3/3) = 1.2 → ln(8/3)·2·2.2/3.2 → 0.625·ln(8/3)/Σ.
//! d1: tf 1, norm 1.2·(0.25 + 0.75·2/3) = 0.9 → ln1.6·2.2/1.9 → (ln1.6/1.9)/Σ.
//! d2: tf 1, norm 1.2·(0.25 + 0.75·4/3) = 1.5 → ln1.6·2.2/2.5 → (ln1.6/2.5)/Σ.

use std::collections::HashMap;

use zaby_knowledge::{
    CorpusStats, Doc, Mode, ScoreOptions, Scored, cosine_similarity, merge_ranked, score, score_candidates,
};

const TEXTS: [&str; 3] = ["apple banana apple", "banana cherry", "cherry date elderberry fig"];

fn corpus() -> Vec<Doc<'static, u32>> {
    TEXTS
        .iter()
        .enumerate()
        .map(|(i, text)| Doc { id: ["d0", "d1", "d2"][i], text, tiebreak: i as u32, embedding: None })
        .collect()
}

fn ids(items: &[Scored]) -> Vec<&str> {
    items.iter().map(|s| s.id.as_str()).collect()
}

fn close(a: f64, b: f64) {
    assert!((a - b).abs() < 1e-9, "{a} != {b}");
}

fn expected() -> [f64; 3] {
    let sum = (8.0f64 / 3.0).ln() + 1.6f64.ln();
    [0.625 * (8.0f64 / 3.0).ln() / sum, 1.6f64.ln() / 1.9 / sum, 1.6f64.ln() / 2.5 / sum]
}

#[test]
fn bm25_scores_match_the_hand_computation() {
    let items = score(&corpus(), "Apple, cherry!", &ScoreOptions::default());
    assert_eq!(ids(&items), ["d0", "d1", "d2"]);
    let e = expected();
    for (item, want) in items.iter().zip(e) {
        close(item.score, want);
        close(item.lexical, want);
        assert_eq!(item.semantic, None);
    }
    // The same values written out.
    close(items[0].score, 0.4225285287017253);
    close(items[1].score, 0.1705022916195997);
    close(items[2].score, 0.12958174163089575);
    assert_eq!(items.iter().map(|s| s.index).collect::<Vec<_>>(), [0, 1, 2]);
}

#[test]
fn repeated_query_terms_count_once() {
    let once = score(&corpus(), "apple cherry", &ScoreOptions::default());
    let twice = score(&corpus(), "apple APPLE cherry apple", &ScoreOptions::default());
    assert_eq!(once, twice);
}

#[test]
fn min_score_top_k_and_zero_scores() {
    let opts = |top_k, min_score| ScoreOptions { top_k, min_score, ..ScoreOptions::default() };
    assert_eq!(ids(&score(&corpus(), "apple cherry", &opts(5, 0.15))), ["d0", "d1"]);
    // A score equal to minScore is kept.
    let d1 = score(&corpus(), "apple cherry", &opts(5, 0.0))[1].score;
    assert_eq!(ids(&score(&corpus(), "apple cherry", &opts(5, d1))), ["d0", "d1"]);
    assert_eq!(ids(&score(&corpus(), "apple cherry", &opts(5, d1 + 1e-12))), ["d0"]);
    assert_eq!(ids(&score(&corpus(), "apple cherry", &opts(1, 0.0))), ["d0"]);
    // Chunks without any query term score 0 and are dropped.
    assert_eq!(ids(&score(&corpus(), "apple", &opts(5, 0.0))), ["d0"]);
    assert!(score(&corpus(), "kiwi", &opts(5, 0.0)).is_empty());
}

#[test]
fn a_query_without_terms_returns_nothing() {
    for query in ["", "a b ? !", "  -- "] {
        assert!(score(&corpus(), query, &ScoreOptions::default()).is_empty());
    }
}

#[test]
fn ties_follow_the_tiebreak_then_input_order() {
    let docs = [
        Doc { id: "late", text: "same words", tiebreak: (2, 0), embedding: None },
        Doc { id: "early-1", text: "same words", tiebreak: (1, 5), embedding: None },
        Doc { id: "early-0", text: "same words", tiebreak: (1, 0), embedding: None },
        Doc { id: "twin", text: "same words", tiebreak: (1, 0), embedding: None },
        Doc { id: "other", text: "other text", tiebreak: (0, 0), embedding: None },
    ];
    let items = score(&docs, "same", &ScoreOptions::default());
    assert_eq!(ids(&items), ["early-0", "twin", "early-1", "late"]);
    assert!(items.windows(2).all(|w| w[0].score == w[1].score));
}

#[test]
fn precomputed_statistics_give_the_same_result_on_candidates() {
    let all = score(&corpus(), "apple cherry", &ScoreOptions::default());
    let stats = CorpusStats::new(3, 9, HashMap::from([("apple".to_string(), 1), ("cherry".to_string(), 2)]));
    let candidates = [corpus()[2], corpus()[0]];
    let some = score_candidates(&candidates, "apple cherry", &stats, &ScoreOptions::default());
    assert_eq!(ids(&some), ["d0", "d2"]);
    close(some[0].score, all[0].score);
    close(some[1].score, all[2].score);
    // Statistics of the candidates alone would differ: that is why N and n(q) must
    // cover the whole corpus.
    let local = score(&candidates, "apple cherry", &ScoreOptions::default());
    assert!((local[1].score - all[2].score).abs() > 1e-3);
}

#[test]
fn cosine_similarity_values() {
    close(cosine_similarity(&[1.0, 0.0], &[1.0, 0.0]).unwrap(), 1.0);
    close(cosine_similarity(&[1.0, 0.0], &[0.0, 2.0]).unwrap(), 0.0);
    close(cosine_similarity(&[1.0, 0.0], &[-3.0, 0.0]).unwrap(), -1.0);
    close(cosine_similarity(&[1.0, 0.0], &[1.0, 1.0]).unwrap(), std::f64::consts::FRAC_1_SQRT_2);
    close(cosine_similarity(&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0]).unwrap(), 32.0 / (14.0f64.sqrt() * 77.0f64.sqrt()));
    assert_eq!(cosine_similarity(&[1.0], &[1.0, 0.0]), None);
    assert_eq!(cosine_similarity(&[], &[]), None);
    assert_eq!(cosine_similarity(&[0.0, 0.0], &[1.0, 0.0]), None);
}

fn embedded_corpus<'a>(embeddings: &'a [[f32; 2]; 3]) -> Vec<Doc<'a, u32>> {
    corpus()
        .into_iter()
        .zip(embeddings.iter())
        .map(|(mut d, e)| {
            d.embedding = Some(&e[..]);
            d
        })
        .collect()
}

#[test]
fn semantic_and_hybrid_modes() {
    // d0 points away from the query, d1 along it, d2 at 45°.
    let embeddings = [[-1.0, 0.0], [1.0, 0.0], [1.0, 1.0]];
    let docs = embedded_corpus(&embeddings);
    let with = |mode| ScoreOptions { mode, query_embedding: Some(vec![2.0, 0.0]), ..ScoreOptions::default() };
    let e = expected();
    let half = std::f64::consts::FRAC_1_SQRT_2;

    let semantic = score(&docs, "apple cherry", &with(Mode::Semantic));
    // d0's cosine is −1, clamped to 0, so it is dropped.
    assert_eq!(ids(&semantic), ["d1", "d2"]);
    close(semantic[0].score, 1.0);
    close(semantic[1].score, half);
    assert_eq!(semantic[0].semantic, Some(1.0));

    let hybrid = score(&docs, "apple cherry", &with(Mode::Hybrid));
    assert_eq!(ids(&hybrid), ["d1", "d2", "d0"]);
    close(hybrid[0].score, 0.5 * e[1] + 0.5);
    close(hybrid[1].score, 0.5 * e[2] + 0.5 * half);
    close(hybrid[2].score, 0.5 * e[0]);

    let keyword = score(&docs, "apple cherry", &with(Mode::Keyword));
    assert_eq!(ids(&keyword), ["d0", "d1", "d2"]);
    close(keyword[0].score, e[0]);
    assert_eq!(keyword[0].semantic, None);
}

#[test]
fn without_a_query_embedding_every_mode_is_lexical() {
    let embeddings = [[-1.0, 0.0], [1.0, 0.0], [1.0, 1.0]];
    let docs = embedded_corpus(&embeddings);
    let lexical = score(&docs, "apple cherry", &ScoreOptions::default());
    for mode in [Mode::Semantic, Mode::Hybrid, Mode::Keyword] {
        let opts = ScoreOptions { mode, ..ScoreOptions::default() };
        assert_eq!(score(&docs, "apple cherry", &opts), lexical);
    }
}

#[test]
fn missing_or_mismatched_document_embeddings_score_zero_semantically() {
    let good = [1.0f32, 0.0];
    let wrong_dims = [1.0f32, 0.0, 0.0];
    let docs = [
        Doc { id: "none", text: "apple", tiebreak: 0, embedding: None },
        Doc { id: "wrong", text: "apple", tiebreak: 1, embedding: Some(&wrong_dims[..]) },
        Doc { id: "good", text: "pear", tiebreak: 2, embedding: Some(&good[..]) },
    ];
    let opts = ScoreOptions { mode: Mode::Hybrid, query_embedding: Some(vec![1.0, 0.0]), ..ScoreOptions::default() };
    let items = score(&docs, "apple", &opts);
    assert_eq!(ids(&items), ["good", "none", "wrong"]);
    assert_eq!(items[1].semantic, Some(0.0));
    close(items[0].score, 0.5);
}

#[test]
fn merged_lists_keep_list_order_on_ties() {
    let item = |id: &str, score: f64| Scored { index: 0, id: id.to_string(), score, lexical: score, semantic: None };
    let lists = vec![vec![item("a1", 0.5), item("a2", 0.2)], vec![item("b1", 0.9), item("b2", 0.5), item("b3", 0.1)]];
    let merged = merge_ranked(&lists, 4);
    let got: Vec<(usize, &str)> = merged.iter().map(|(l, s)| (*l, s.id.as_str())).collect();
    assert_eq!(got, [(1, "b1"), (0, "a1"), (1, "b2"), (0, "a2")]);
}

#[test]
fn mode_and_option_validation_name_fields() {
    assert_eq!(Mode::parse("hybrid").unwrap(), Mode::Hybrid);
    assert_eq!(Mode::parse("Hybrid").unwrap_err().field, "mode");
    assert_eq!(zaby_knowledge::scoring::validate_top_k(50).unwrap(), 50);
    assert_eq!(zaby_knowledge::scoring::validate_top_k(0).unwrap_err().field, "topK");
    assert_eq!(zaby_knowledge::scoring::validate_top_k(51).unwrap_err().field, "topK");
    assert_eq!(zaby_knowledge::scoring::validate_min_score(1.0).unwrap(), 1.0);
    assert_eq!(zaby_knowledge::scoring::validate_min_score(1.5).unwrap_err().field, "minScore");
    assert_eq!(zaby_knowledge::scoring::validate_min_score(f64::NAN).unwrap_err().field, "minScore");
}
