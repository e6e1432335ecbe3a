//! Noisy OCR strings as PP-OCR reads real slates (one text box per line) → parsed fields.
//! Each row: the text, then the expected scene, take, roll, camera (`None` = not a slate).

use rushes_slate::parse_slate;

type Row = (
    &'static str,
    Option<(
        Option<&'static str>,
        Option<&'static str>,
        Option<&'static str>,
        Option<&'static str>,
    )>,
);

const TABLE: &[Row] = &[
    // Labels and values on one line, every common spelling.
    (
        "SCENE 42A TAKE 3",
        Some((Some("42A"), Some("3"), None, None)),
    ),
    ("SC 42A TK 3", Some((Some("42A"), Some("3"), None, None))),
    ("SC. 42A  TK. 3", Some((Some("42A"), Some("3"), None, None))),
    (
        "Sc: 17B Tk: 12",
        Some((Some("17B"), Some("12"), None, None)),
    ),
    ("SCN 5 T 2", Some((Some("5"), Some("2"), None, None))),
    ("scene:42 take:3", Some((Some("42"), Some("3"), None, None))),
    ("SC42A TK3", Some((Some("42A"), Some("3"), None, None))),
    (
        "SCENE#101 TAKE#07",
        Some((Some("101"), Some("7"), None, None)),
    ),
    // Fields on separate lines (separate boxes).
    (
        "ROLL A007\nSCENE 42A\nTAKE 3",
        Some((Some("42A"), Some("3"), Some("A007"), Some("A"))),
    ),
    (
        "ROLL: A007\nSCENE: 42A\nTAKE: 3",
        Some((Some("42A"), Some("3"), Some("A007"), Some("A"))),
    ),
    (
        "CAM ROLL B012\nSC 17B\nTK 4\nCAM B",
        Some((Some("17B"), Some("4"), Some("B012"), Some("B"))),
    ),
    (
        "R A003\nSC 8\nT 1",
        Some((Some("8"), Some("1"), Some("A003"), Some("A"))),
    ),
    // Clapperboard grid: labels above values.
    (
        "ROLL SCENE TAKE\nA007 42A 3",
        Some((Some("42A"), Some("3"), Some("A007"), Some("A"))),
    ),
    (
        "PROD. NIGHT SHIFT\nROLL SCENE TAKE\nA007 42A 3\nDIRECTOR J. SMITH",
        Some((Some("42A"), Some("3"), Some("A007"), Some("A"))),
    ),
    // Each box on its own line, labels then values.
    (
        "ROLL\nSCENE\nTAKE\nA007\n42A\n3",
        Some((Some("42A"), Some("3"), Some("A007"), Some("A"))),
    ),
    (
        "SCENE\n42A\nTAKE\n3",
        Some((Some("42A"), Some("3"), None, None)),
    ),
    // OCR misreads: O for 0, l or I for 1.
    ("SCENE 1O TAKE 2", Some((Some("10"), Some("2"), None, None))),
    ("SCENE l0 TAKE 2", Some((Some("10"), Some("2"), None, None))),
    ("SC 4O TK l", Some((Some("40"), Some("1"), None, None))),
    (
        "ROLL AOO7\nSCENE 42A\nTAKE O3",
        Some((Some("42A"), Some("3"), Some("A007"), Some("A"))),
    ),
    (
        "SCENE: 42A.\nTAKE: 3.",
        Some((Some("42A"), Some("3"), None, None)),
    ),
    (
        "|SCENE| 42A |TAKE| 3",
        Some((Some("42A"), Some("3"), None, None)),
    ),
    // Camera letters written every way.
    (
        "A CAM\nSC 42A TK 3",
        Some((Some("42A"), Some("3"), None, Some("A"))),
    ),
    (
        "B-CAM SC 42A TK 3",
        Some((Some("42A"), Some("3"), None, Some("B"))),
    ),
    (
        "CAMERA C\nSCENE 9 TAKE 1",
        Some((Some("9"), Some("1"), None, Some("C"))),
    ),
    // A roll and one more field is a slate; so are both labels with one value.
    ("ROLL A007 MOS", Some((None, None, Some("A007"), Some("A")))),
    ("SCENE 12\nTAKE", Some((Some("12"), None, None, None))),
    (
        "SCENE 12 DATE 12/03/2025",
        Some((Some("12"), None, None, None)),
    ),
    // Not slates.
    ("EXIT 42", None),
    ("EXIT 42\nHIGHWAY 101", None),
    ("TAKE 5", None),
    ("SCENE 4", None),
    ("Maria Lopez\nGaffer", None),
    ("ROUTE 66", None),
    ("", None),
    ("SCENE TAKE", None),
    ("CALL SHEET DAY 12 OF 40", None),
    ("ON AIR", None),
    ("SPEED LIMIT 30", None),
];

#[test]
fn noisy_ocr_strings_parse_to_slate_fields() {
    let mut failures = Vec::new();
    for (text, expected) in TABLE {
        let got = parse_slate(text).map(|read| {
            let slate = read.slate;
            (slate.scene, slate.take, slate.roll, slate.camera)
        });
        let expected = expected.map(|(scene, take, roll, camera)| {
            (
                scene.map(String::from),
                take.map(String::from),
                roll.map(String::from),
                camera.map(String::from),
            )
        });
        if got != expected {
            failures.push(format!("{text:?}: got {got:?}, expected {expected:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_smart_slate_gives_every_field() {
    let text = "PROD: NIGHT SHIFT\nROLL A007 SCENE 42A TAKE 3\nDIRECTOR Jane T Smith\nDOP Ana Ruiz\n\
                DATE 12/03/2025\nSOUND ROLL S012\nSYNC\n01:02:03:04";
    let slate = parse_slate(text).map(|read| read.slate).unwrap_or_default();
    assert_eq!(slate.production.as_deref(), Some("NIGHT SHIFT"));
    assert_eq!(slate.roll.as_deref(), Some("A007"));
    assert_eq!(slate.scene.as_deref(), Some("42A"));
    assert_eq!(slate.take.as_deref(), Some("3"));
    assert_eq!(slate.camera.as_deref(), Some("A"));
    assert_eq!(slate.director.as_deref(), Some("Jane T Smith"));
    assert_eq!(slate.dop.as_deref(), Some("Ana Ruiz"));
    assert_eq!(slate.date.as_deref(), Some("12/03/2025"));
    assert_eq!(slate.sound_roll.as_deref(), Some("S012"));
    assert_eq!(slate.sound, Some(rushes_core::SlateSound::Sync));
    assert_eq!(slate.timecode.as_deref(), Some("01:02:03:04"));
}

#[test]
fn a_timecode_read_with_letters_for_digits_is_mended() {
    let slate = parse_slate("SC 3 TK 1\nTC O1:OO:1O;12")
        .map(|read| read.slate)
        .unwrap_or_default();
    assert_eq!(slate.timecode.as_deref(), Some("01:00:10;12"));
}

#[test]
fn an_upside_down_slate_is_read_turned_over_and_says_so() {
    // OCR of a board held upside down: lines in reverse order, each read backwards.
    let read = parse_slate("3 EKAT\nA24 ENECS\n700A LLOR");
    let read = read.unwrap_or_else(|| panic!("upside-down slate not read"));
    assert!(read.upside_down);
    assert_eq!(read.slate.scene.as_deref(), Some("42A"));
    assert_eq!(read.slate.take.as_deref(), Some("3"));
    assert_eq!(read.slate.roll.as_deref(), Some("A007"));
    let upright = parse_slate("ROLL A007\nSCENE 42A\nTAKE 3").map(|read| read.upside_down);
    assert_eq!(upright, Some(false));
}
