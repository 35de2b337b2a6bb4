//! `metrics::ConfusionMatrix` gives the numbers of the shared golden file, as
//! `training/scoring.py` does (training/tests/test_scoring.py): the CLI's `evaluate`, the
//! training log and the model card score alike.
#![cfg(not(target_arch = "wasm32"))]

use speech_emotion::metrics::ConfusionMatrix;

#[test]
fn scores_equal_the_golden_numbers_shared_with_training() {
    let golden: serde_json::Value = serde_json::from_str(include_str!("golden/scoring_golden.json")).unwrap();
    for case in golden["cases"].as_array().unwrap() {
        let labels: Vec<String> = case["labels"].as_array().unwrap().iter().map(|l| l.as_str().unwrap().to_string()).collect();
        let n = labels.len();
        let mut matrix = ConfusionMatrix::new(labels.clone());
        for (truth, row) in case["confusion"].as_array().unwrap().iter().enumerate() {
            for (column, count) in row.as_array().unwrap().iter().enumerate() {
                for _ in 0..count.as_u64().unwrap() {
                    matrix.add(truth, (column < n).then_some(column));
                }
            }
        }
        let scores = matrix.scores();
        assert!((scores.unweighted_accuracy - case["unweighted_accuracy"].as_f64().unwrap()).abs() < 1e-12, "{labels:?}");
        assert!((scores.weighted_accuracy - case["weighted_accuracy"].as_f64().unwrap()).abs() < 1e-12, "{labels:?}");
        let want: Vec<Option<f64>> = case["recall"].as_array().unwrap().iter().map(|r| r.as_f64()).collect();
        assert_eq!(scores.recall.len(), want.len());
        for (got, want) in scores.recall.iter().zip(&want) {
            match (got, want) {
                (Some(g), Some(w)) => assert!((g - w).abs() < 1e-12, "{labels:?}"),
                (None, None) => {}
                other => panic!("{labels:?}: recall {other:?}"),
            }
        }
    }
}
