//! The documented hash, pinned to values computed independently by
//! `tests/conformance/tools/expected.py`.

use qubit_experiences_emulator::bucket;

#[test]
fn bucket_values_match_the_documented_hash() {
    assert_eq!(
        bucket("retail_shop", 144119, "visitor-1"),
        0.23392804468374861
    );
    assert_eq!(
        bucket("retail_shop", 152877, "vip/ü 1&x=y"),
        0.6715309638833231
    );
    assert_eq!(bucket("miquido", 139731, ""), 0.7795841317719135);
    assert_eq!(
        bucket("retail_shop", 151203, "手机用户-7"),
        0.050990192619376096
    );
}

#[test]
fn bucket_value_is_the_top_53_bits_of_the_digest() {
    // SHA-256("retail_shop:144119:visitor-1") starts 3b e2 b5 55 88 af 77 64.
    let head = 0x3be2_b555_88af_7764_u64;

    assert_eq!(
        bucket("retail_shop", 144119, "visitor-1"),
        (head >> 11) as f64 / 9_007_199_254_740_992.0
    );
}

#[test]
fn bucket_values_are_spread_evenly_over_the_unit_interval() {
    let values: Vec<f64> = (0..10_000)
        .map(|n| bucket("retail_shop", 152877, &format!("visitor-{n}")))
        .collect();

    let below = |limit: f64| values.iter().filter(|&&v| v < limit).count();
    assert!(values.iter().all(|v| (0.0..1.0).contains(v)));
    // A 5/95 and a 20/80 split: within 4 standard deviations of the mean.
    assert!(
        (500 - 88..=500 + 88).contains(&below(0.05)),
        "{}",
        below(0.05)
    );
    assert!(
        (2000 - 160..=2000 + 160).contains(&below(0.2)),
        "{}",
        below(0.2)
    );
    assert!(
        (5000 - 200..=5000 + 200).contains(&below(0.5)),
        "{}",
        below(0.5)
    );
}
