//! Evaluation metrics for a labelled set: confusion matrix, unweighted and weighted accuracy.

use serde::Serialize;

/// Counts of (true class, predicted class) pairs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConfusionMatrix {
    pub labels: Vec<String>,
    /// `counts[true][predicted]`.
    pub counts: Vec<Vec<u64>>,
    /// Items of each true class in which no speech was found (no label: a miss).
    pub no_speech: Vec<u64>,
}

/// Summary of a confusion matrix.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scores {
    /// Mean of the per-class recalls over classes that occur (UA).
    pub unweighted_accuracy: f64,
    /// Fraction of all items classified correctly (WA).
    pub weighted_accuracy: f64,
    /// Recall per class in label order; `None` for classes with no items.
    pub recall: Vec<Option<f64>>,
    pub support: Vec<u64>,
    pub total: u64,
}

impl ConfusionMatrix {
    pub fn new(labels: Vec<String>) -> Self {
        let n = labels.len();
        Self { labels, counts: vec![vec![0; n]; n], no_speech: vec![0; n] }
    }

    /// One item: its true class and the predicted one, `None` when no speech was found.
    pub fn add(&mut self, truth: usize, predicted: Option<usize>) {
        match predicted {
            Some(p) => self.counts[truth][p] += 1,
            None => self.no_speech[truth] += 1,
        }
    }

    pub fn scores(&self) -> Scores {
        let support: Vec<u64> =
            self.counts.iter().zip(&self.no_speech).map(|(row, none)| row.iter().sum::<u64>() + none).collect();
        let total: u64 = support.iter().sum();
        let correct: u64 = (0..self.labels.len()).map(|i| self.counts[i][i]).sum();
        let recall: Vec<Option<f64>> = (0..self.labels.len())
            .map(|i| (support[i] > 0).then(|| self.counts[i][i] as f64 / support[i] as f64))
            .collect();
        let present: Vec<f64> = recall.iter().flatten().copied().collect();
        Scores {
            unweighted_accuracy: if present.is_empty() { 0.0 } else { present.iter().sum::<f64>() / present.len() as f64 },
            weighted_accuracy: if total == 0 { 0.0 } else { correct as f64 / total as f64 },
            recall,
            support,
            total,
        }
    }

    /// A plain-text table: rows are true classes, columns predictions.
    pub fn to_table(&self) -> String {
        let width = self.labels.iter().map(|l| l.len()).max().unwrap_or(4).max("true\\pred".len());
        let mut out = format!("{:>width$} |", "true\\pred");
        for label in self.labels.iter().map(String::as_str).chain(["no_speech"]) {
            out += &format!(" {label:>width$}");
        }
        out.push('\n');
        for ((label, row), none) in self.labels.iter().zip(&self.counts).zip(&self.no_speech) {
            out += &format!("{label:>width$} |");
            for count in row.iter().chain([none]) {
                out += &format!(" {count:>width$}");
            }
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unweighted_accuracy_averages_recalls_and_weighted_counts_items() {
        let mut cm = ConfusionMatrix::new(vec!["a".into(), "b".into(), "c".into()]);
        for _ in 0..9 {
            cm.add(0, Some(0));
        }
        cm.add(0, Some(1));
        cm.add(1, Some(1));
        cm.add(1, None); // no speech found: a miss
        let s = cm.scores();
        assert_eq!(s.recall, vec![Some(0.9), Some(0.5), None]);
        assert!((s.unweighted_accuracy - 0.7).abs() < 1e-12);
        assert!((s.weighted_accuracy - 10.0 / 12.0).abs() < 1e-12);
        assert_eq!(s.total, 12);
        assert!(cm.to_table().contains("no_speech"));
        assert!(cm.to_table().contains("true\\pred"));
    }
}
