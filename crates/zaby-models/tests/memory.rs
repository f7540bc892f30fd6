//! Memory-candidate rules of the development model (`docs/server.md`).

use serde_json::json;
use zaby_models::{
    ErrorCode, LocalModel, MemoryCandidate, MemoryKind, ModelProvider, development_memory_candidates,
    extract_memory_candidates,
};

fn fact(content: &str) -> MemoryCandidate {
    MemoryCandidate { content: content.into(), kind: MemoryKind::Fact }
}

fn preference(content: &str) -> MemoryCandidate {
    MemoryCandidate { content: content.into(), kind: MemoryKind::Preference }
}

#[test]
fn the_three_patterns_with_their_kinds() {
    let message = "Remember that my flight is on Friday. My dog's name is Rex! I prefer aisle seats?\nI love Jazz";
    assert_eq!(
        extract_memory_candidates(message),
        vec![
            fact("my flight is on Friday"),
            fact("My dog's name is Rex"),
            preference("I prefer aisle seats"),
            preference("I love Jazz"),
        ]
    );
}

#[test]
fn patterns_are_case_insensitive_and_contents_keep_their_case() {
    assert_eq!(extract_memory_candidates("REMEMBER the Code 42"), vec![fact("the Code 42")]);
    assert_eq!(extract_memory_candidates("rEmEmBeR THAT Paris is nice"), vec![fact("Paris is nice")]);
    assert_eq!(extract_memory_candidates("  MY Favourite Colour IS Blue  "), vec![fact("MY Favourite Colour IS Blue")]);
    assert_eq!(extract_memory_candidates("i HATE Mondays"), vec![preference("i HATE Mondays")]);
}

#[test]
fn sentences_must_match_from_start_to_end() {
    assert!(extract_memory_candidates("Please remember that I left").is_empty());
    assert!(extract_memory_candidates("Yes my name is Bob").is_empty());
    assert!(extract_memory_candidates("I like").is_empty());
    assert!(extract_memory_candidates("I dislike rain").is_empty());
    assert!(extract_memory_candidates("remember").is_empty());
    assert!(extract_memory_candidates("my name").is_empty());
    assert!(extract_memory_candidates("hello").is_empty());
    assert!(extract_memory_candidates("").is_empty());
}

#[test]
fn line_breaks_and_punctuation_end_sentences() {
    assert_eq!(
        extract_memory_candidates("hi\r\nremember milk\n\nI like tea... ok?my car is red"),
        vec![fact("milk"), preference("I like tea"), fact("my car is red")]
    );
}

#[test]
fn repeated_contents_are_proposed_once() {
    assert_eq!(
        extract_memory_candidates("I like tea. I like tea! Remember I like tea"),
        vec![preference("I like tea")]
    );
}

#[test]
fn development_candidates_come_from_the_normalized_message() {
    let found = development_memory_candidates(&json!({"message": "Remember that I am vegan."})).unwrap();
    assert_eq!(found, vec![fact("I am vegan")]);
    assert!(development_memory_candidates(&json!({"text": "I like tea"})).unwrap().is_empty());
}

#[test]
fn simulated_candidates_replace_the_rules() {
    let input = json!({"message": "I like tea", "simulate": {"memoryCandidates": ["Works at ACME", " spaced ", "Works at ACME"]}});
    assert_eq!(development_memory_candidates(&input).unwrap(), vec![fact("Works at ACME"), fact(" spaced ")]);
    let input = json!({"message": "I like tea", "simulate": {"memoryCandidates": []}});
    assert!(development_memory_candidates(&input).unwrap().is_empty());
    let input = json!({"message": "I like tea", "simulate": {"memoryCandidates": "x"}});
    assert_eq!(development_memory_candidates(&input).unwrap_err().code, ErrorCode::AgentExecutionFailed);
}

#[tokio::test]
async fn the_local_provider_offers_the_same_candidates() {
    let input = json!({"message": "my name is Ada", "simulate": {"reply": "hi"}});
    let found = LocalModel::new().memory_candidates(&input, "my name is Ada", "hi").await.unwrap();
    assert_eq!(found, vec![fact("my name is Ada")]);
    assert_eq!(MemoryKind::Preference.as_str(), "PREFERENCE");
    assert_eq!(serde_json::to_value(MemoryKind::Fact).unwrap(), json!("FACT"));
}
