//! Tests for `[[strategy]]` row parsing and validation.

use super::*;
use crate::strategy::test_support::d;

#[derive(Deserialize)]
struct File {
    strategy: Vec<StrategySpecFile>,
}

fn rows(text: &str) -> Vec<StrategySpecFile> {
    toml::from_str::<File>(text).expect("valid TOML").strategy
}

/// The messages for a single-row file.
fn messages(row: &str) -> Vec<String> {
    let (specs, errors) = parse_strategies(rows(&format!("[[strategy]]\n{row}")));
    assert!(specs.is_empty(), "{specs:?}");
    assert_eq!(errors.len(), 1);
    errors[0].problems.iter().map(ToString::to_string).collect()
}

#[test]
fn the_three_kinds_parse_with_integer_and_float_thresholds() {
    let (specs, errors) = parse_strategies(rows(
        r#"
        [[strategy]]
        kind = "sma_cross"
        symbol = "SPY"
        fast = 20
        slow = 50

        [[strategy]]
        kind = "rsi"
        symbol = " qqq "
        period = 14
        oversold = 30
        overbought = 70.5

        [[strategy]]
        kind = "zscore"
        symbol = "IWM"
        window = 20
        entry = 2.0
        exit = 0.5
        "#,
    ));
    assert_eq!(errors, vec![]);
    let expected = vec![
        StrategySpec {
            id: "strategy:sma_cross:SPY".into(),
            symbol: "SPY".into(),
            params: StrategyParams::SmaCross { fast: 20, slow: 50 },
        },
        StrategySpec {
            id: "strategy:rsi:QQQ".into(),
            symbol: "QQQ".into(),
            params: StrategyParams::Rsi { period: 14, oversold: d("30"), overbought: d("70.5") },
        },
        StrategySpec {
            id: "strategy:zscore:IWM".into(),
            symbol: "IWM".into(),
            params: StrategyParams::ZScore { window: 20, entry: d("2"), exit: d("0.5") },
        },
    ];
    assert_eq!(specs, expected);
    let names: Vec<String> = specs.iter().map(|s| s.build().name().to_string()).collect();
    assert_eq!(names, vec!["sma_cross(20,50)", "rsi(14,30,70.5)", "zscore(20,2,0.5)"]);
    assert_eq!(specs.iter().map(StrategySpec::kind).collect::<Vec<_>>(), vec!["sma_cross", "rsi", "zscore"]);
}

#[test]
fn an_unknown_field_fails_the_file() {
    let error = toml::from_str::<File>("[[strategy]]\nkind = \"rsi\"\nsymbol = \"SPY\"\nperiods = 14\n")
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(error.contains("unknown field `periods`"), "{error}");
}

#[test]
fn one_bad_row_leaves_the_others_running_and_says_which_row() {
    let (specs, errors) = parse_strategies(rows(
        r#"
        [[strategy]]
        kind = "sma_cross"
        symbol = "SPY"
        fast = 50
        slow = 20

        [[strategy]]
        kind = "sma_cross"
        symbol = "SPY"
        fast = 5
        slow = 10

        [[strategy]]
        kind = "sma_cross"
        symbol = "SPY"
        fast = 10
        slow = 30
        "#,
    ));
    let ids: Vec<&str> = specs.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, vec!["strategy:sma_cross:SPY#2", "strategy:sma_cross:SPY#3"]);
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].id, "strategy:sma_cross:SPY");
    assert_eq!(errors[0].row, 1);
    assert_eq!(
        errors[0].to_string(),
        "[[strategy]] row 1 (sma_cross on SPY): `fast` (50) must be less than `slow` (20)"
    );
}

#[test]
fn missing_kind_and_symbol() {
    let (_, errors) = parse_strategies(vec![StrategySpecFile::default()]);
    assert_eq!(
        errors[0].to_string(),
        "[[strategy]] row 1: `symbol` is missing or empty; `kind` is missing: expected \"sma_cross\", \"rsi\" or \"zscore\""
    );
    assert_eq!(errors[0].id, "strategy:?:?");
    assert_eq!(
        messages("kind = \"ema\"\nsymbol = \"SPY\""),
        vec!["unknown kind \"ema\": expected \"sma_cross\", \"rsi\" or \"zscore\""]
    );
    assert_eq!(
        messages("kind = \"rsi\"\nsymbol = \"  \"\nperiod = 14\noversold = 30\noverbought = 70"),
        vec!["`symbol` is missing or empty"]
    );
}

#[test]
fn sma_cross_rows() {
    assert_eq!(
        messages("kind = \"sma_cross\"\nsymbol = \"SPY\"\nfast = 20"),
        vec!["`slow` is missing: sma_cross needs `fast` and `slow` (e.g. fast = 20, slow = 50)"]
    );
    assert_eq!(
        messages("kind = \"sma_cross\"\nsymbol = \"SPY\"\nfast = 1\nslow = 5"),
        vec!["`fast` is 1: expected a period of at least 2"]
    );
    assert_eq!(
        messages("kind = \"sma_cross\"\nsymbol = \"SPY\"\nfast = 20\nslow = 20000"),
        vec!["`slow` is 20000: expected a period of at most 10000"]
    );
    assert_eq!(
        messages("kind = \"sma_cross\"\nsymbol = \"SPY\"\nfast = 20\nslow = 20"),
        vec!["`fast` (20) must be less than `slow` (20)"]
    );
    assert_eq!(
        messages("kind = \"sma_cross\"\nsymbol = \"SPY\"\nfast = 20\nslow = 50\nperiod = 14"),
        vec!["`period` does not apply to sma_cross, which takes `fast` and `slow` (e.g. fast = 20, slow = 50)"]
    );
}

#[test]
fn rsi_rows() {
    let row = |rest: &str| messages(&format!("kind = \"rsi\"\nsymbol = \"QQQ\"\n{rest}"));
    assert_eq!(
        row("period = 14\noversold = 30"),
        vec![
            "`overbought` is missing: rsi needs `period`, `oversold` and `overbought` (e.g. period = 14, oversold = \
         30, overbought = 70)"
        ]
    );
    assert_eq!(
        row("period = -3\noversold = 30\noverbought = 70"),
        vec!["`period` is -3: expected a period of at least 2"]
    );
    assert_eq!(
        row("period = 14\noversold = 70\noverbought = 30"),
        vec!["expected 0 < oversold < overbought < 100, got oversold 70 and overbought 30"]
    );
    assert_eq!(
        row("period = 14\noversold = 0\noverbought = 70"),
        vec!["expected 0 < oversold < overbought < 100, got oversold 0 and overbought 70"]
    );
    assert_eq!(
        row("period = 14\noversold = 30\noverbought = 100"),
        vec!["expected 0 < oversold < overbought < 100, got oversold 30 and overbought 100"]
    );
    assert_eq!(
        row("period = 14\noversold = 30\noverbought = 70\nwindow = 20\nfast = 3"),
        vec![
            "`fast` does not apply to rsi, which takes `period`, `oversold` and `overbought` (e.g. period = 14, \
         oversold = 30, overbought = 70)",
            "`window` does not apply to rsi, which takes `period`, `oversold` and `overbought` (e.g. period = 14, \
         oversold = 30, overbought = 70)",
        ]
    );
}

#[test]
fn zscore_rows() {
    let row = |rest: &str| messages(&format!("kind = \"zscore\"\nsymbol = \"IWM\"\n{rest}"));
    assert_eq!(
        row("entry = 2.0\nexit = 0.5"),
        vec![
        "`window` is missing: zscore needs `window`, `entry` and `exit` (e.g. window = 20, entry = 2.0, exit = 0.5)"
    ]
    );
    assert_eq!(row("window = 1\nentry = 2.0\nexit = 0.5"), vec!["`window` is 1: expected a period of at least 2"]);
    assert_eq!(
        row("window = 20\nentry = 0.5\nexit = 2.0"),
        vec!["expected entry > exit > 0, got entry 0.5 and exit 2"]
    );
    assert_eq!(row("window = 20\nentry = 2.0\nexit = 0"), vec!["expected entry > exit > 0, got entry 2 and exit 0"]);
    assert_eq!(
        row("window = 20\nentry = 2.0\nexit = -0.5"),
        vec!["expected entry > exit > 0, got entry 2 and exit -0.5"]
    );
}

#[test]
fn every_problem_in_a_row_is_reported() {
    let (_, errors) =
        parse_strategies(rows("[[strategy]]\nkind = \"sma_cross\"\nsymbol = \"SPY\"\nfast = 0\nslow = 1\n"));
    assert_eq!(
        errors[0].to_string(),
        "[[strategy]] row 1 (sma_cross on SPY): `fast` is 0: expected a period of at least 2; `slow` is 1: expected a \
         period of at least 2"
    );
}
