//! A small learned model over the question's words, trained from the labelled questions.
//!
//! Multinomial logistic regression (softmax) on sparse binary features: words, word pairs,
//! the first two words (how a question opens says a lot: "how do", "has anyone", "is
//! there"), and every hand-written cue of the rule table as a feature of its own, so the
//! rules' knowledge carries over to phrasings the labelled set lacks while the weights come
//! from data. Trained by plain stochastic gradient descent with L2 regularisation in a
//! fixed order: the same examples always give the same model. A few hundred questions
//! train in milliseconds, so the model is trained from the labelled set compiled into the
//! binary the first time it is needed; no weights are stored.
//!
//! Written here rather than taken from a crate: the ML crates for Rust (linfa, smartcore)
//! bring dense matrices and dozens of dependencies for what is sixty lines of arithmetic on
//! a few thousand sparse features, and the explanation (which features decided) needs the
//! weights at hand.

use std::collections::HashMap;

use flywheel_domain::usage::QuestionStage;

use super::{index, normalize, CUES};

/// Stages in the model's class order.
pub const STAGES: [QuestionStage; 4] = [
    QuestionStage::Awareness,
    QuestionStage::Access,
    QuestionStage::HowTo,
    QuestionStage::Frontier,
];

/// Training settings (the defaults were chosen by cross-validation on the development
/// set; see the ignored `tune` test).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    pub epochs: usize,
    pub learning_rate: f32,
    pub l2: f32,
    /// Also use character 4-grams inside words (licence/licensed, automate/automation).
    pub char_grams: bool,
}

impl Default for Params {
    fn default() -> Params {
        Params {
            epochs: 40,
            learning_rate: 0.05,
            l2: 1e-2,
            char_grams: true,
        }
    }
}

/// The trained weights.
#[derive(Debug, Clone)]
pub struct Model {
    weights: HashMap<String, [f32; 4]>,
    bias: [f32; 4],
    char_grams: bool,
}

fn stemmer() -> &'static rust_stemmers::Stemmer {
    static STEMMER: std::sync::OnceLock<rust_stemmers::Stemmer> = std::sync::OnceLock::new();
    STEMMER.get_or_init(|| rust_stemmers::Stemmer::create(rust_stemmers::Algorithm::English))
}

/// The features of a question (deduplicated).
pub fn features(text: &str, char_grams: bool) -> Vec<String> {
    let norm = normalize(text);
    let words: Vec<&str> = norm.split_whitespace().collect();
    let mut f: Vec<String> = Vec::with_capacity(words.len() * 2 + 8);
    let stemmer = stemmer();
    for w in &words {
        f.push(format!("w:{w}"));
        // The word's stem too (Snowball's English stemmer): "summarizing", "summarised"
        // and "summary" meet at "summar", "licences" and "licensed" near "licens".
        let stem = stemmer.stem(w);
        if stem != *w {
            f.push(format!("s:{stem}"));
        }
    }
    if char_grams {
        for w in &words {
            let padded: Vec<char> = format!("<{w}>").chars().collect();
            for g in padded.windows(4) {
                f.push(format!("c:{}", g.iter().collect::<String>()));
            }
        }
    }
    for p in words.windows(2) {
        f.push(format!("p:{} {}", p[0], p[1]));
    }
    match words.as_slice() {
        [] => f.push("open:".into()),
        [a] => f.push(format!("open:{a}")),
        [a, b, ..] => {
            f.push(format!("open:{a}"));
            f.push(format!("open:{a} {b}"));
        }
    }
    for (cue, stage, w) in CUES {
        if *w > 0 && super::matches(&norm, cue) {
            f.push(format!("cue:{}:{}", index(*stage), cue.trim()));
        }
    }
    f.sort_unstable();
    f.dedup();
    f
}

fn softmax(z: [f32; 4]) -> [f32; 4] {
    let m = z.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let e = z.map(|x| (x - m).exp());
    let s: f32 = e.iter().sum();
    e.map(|x| x / s)
}

impl Model {
    /// Trains on `(stage, question)` examples.
    pub fn train(examples: &[(QuestionStage, &str)]) -> Model {
        Model::train_with(examples, Params::default())
    }

    /// Trains with the given settings.
    pub fn train_with(examples: &[(QuestionStage, &str)], params: Params) -> Model {
        let data: Vec<(usize, Vec<String>)> = examples
            .iter()
            .map(|(s, q)| (index(*s), features(q, params.char_grams)))
            .collect();
        let mut model = Model {
            weights: HashMap::new(),
            bias: [0.0; 4],
            char_grams: params.char_grams,
        };
        let n = data.len();
        if n == 0 {
            return model;
        }
        // A fixed visiting order per epoch: a stride coprime with n walks every example.
        let stride = (1..n)
            .rev()
            .find(|s| gcd(*s, n) == 1 && *s * 3 < n * 2)
            .unwrap_or(1);
        for epoch in 0..params.epochs {
            let lr = params.learning_rate / (1.0 + epoch as f32 * 0.1);
            let mut i = epoch % n;
            for _ in 0..n {
                i = (i + stride) % n;
                let (y, feats) = &data[i];
                let p = model.probabilities_of(feats);
                let mut grad = p;
                grad[*y] -= 1.0;
                for (b, g) in model.bias.iter_mut().zip(grad) {
                    *b -= lr * g;
                }
                for f in feats {
                    let w = model.weights.entry(f.clone()).or_insert([0.0; 4]);
                    for (wk, g) in w.iter_mut().zip(grad) {
                        *wk -= lr * (g + params.l2 * *wk);
                    }
                }
            }
        }
        model
    }

    fn probabilities_of(&self, feats: &[String]) -> [f32; 4] {
        let mut z = self.bias;
        for f in feats {
            if let Some(w) = self.weights.get(f) {
                for (zk, wk) in z.iter_mut().zip(w) {
                    *zk += wk;
                }
            }
        }
        softmax(z)
    }

    /// Class probabilities (in [`STAGES`] order) and the features that pushed most towards
    /// the winning stage, strongest first, with their weight.
    pub fn predict(&self, text: &str) -> ([f32; 4], Vec<(String, f32)>) {
        let feats = features(text, self.char_grams);
        let p = self.probabilities_of(&feats);
        let best = (0..4).max_by(|a, b| p[*a].total_cmp(&p[*b])).unwrap_or(0);
        // How much more each feature favours the winner than the average stage. Character
        // 4-grams mean nothing to a reader, so their push is credited to the words they
        // were cut from ("<acc" and "cess" both to "w:access").
        let norm = normalize(text);
        let padded: Vec<(&str, String)> = norm
            .split_whitespace()
            .map(|w| (w, format!("<{w}>")))
            .collect();
        let mut push: HashMap<String, f32> = HashMap::new();
        for f in feats {
            let Some(w) = self.weights.get(&f) else {
                continue;
            };
            let amount = w[best] - w.iter().sum::<f32>() / 4.0;
            if let Some(gram) = f.strip_prefix("c:") {
                let from: Vec<&str> = padded
                    .iter()
                    .filter(|(_, p)| p.contains(gram))
                    .map(|(w, _)| *w)
                    .collect();
                for word in &from {
                    *push.entry(format!("w:{word}")).or_default() += amount / from.len() as f32;
                }
            } else {
                *push.entry(f).or_default() += amount;
            }
        }
        let mut why: Vec<(String, f32)> = push.into_iter().filter(|(_, x)| *x > 0.05).collect();
        why.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        why.truncate(5);
        (p, why)
    }
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn learns_a_separable_toy_set_and_is_deterministic() {
        let ex = [
            (QuestionStage::Access, "how do I get a licence"),
            (QuestionStage::Access, "who approves my licence request"),
            (QuestionStage::Frontier, "can we build a bot on the api"),
            (
                QuestionStage::Frontier,
                "has anyone built a pipeline with the api",
            ),
            (QuestionStage::HowTo, "how do I summarise a thread"),
            (QuestionStage::HowTo, "tips to summarise meeting notes"),
            (QuestionStage::Awareness, "what is copilot"),
            (QuestionStage::Awareness, "is copilot just hype"),
        ];
        let m = Model::train(&ex);
        for (s, q) in ex {
            let (p, why) = m.predict(q);
            assert_eq!(
                STAGES[(0..4).max_by(|a, b| p[*a].total_cmp(&p[*b])).unwrap_or(0)],
                s,
                "{q}"
            );
            assert!(!why.is_empty(), "{q} explains itself");
        }
        let again = Model::train(&ex);
        assert_eq!(
            m.predict("licence for the api").0,
            again.predict("licence for the api").0
        );
    }
}
