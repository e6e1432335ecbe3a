//! The searchable text fields of a moment document ([`TextField`]): their names in the
//! index, the signal each reports and how much a match in each counts.

/// The searchable text fields of a moment document, each tied to the signal it reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TextField {
    Transcript,
    Ocr,
    Tags,
    Caption,
    Name,
    Metadata,
}

impl TextField {
    pub const ALL: [TextField; 6] = [
        TextField::Transcript,
        TextField::Ocr,
        TextField::Tags,
        TextField::Caption,
        TextField::Name,
        TextField::Metadata,
    ];

    pub fn name(self) -> &'static str {
        match self {
            TextField::Transcript => "transcript",
            TextField::Ocr => "ocr",
            TextField::Tags => "tags",
            TextField::Caption => "caption",
            TextField::Name => "name",
            TextField::Metadata => "metadata",
        }
    }

    /// How much a match in this field counts next to the others.
    pub fn boost(self) -> f32 {
        match self {
            TextField::Transcript | TextField::Ocr | TextField::Caption => 1.0,
            TextField::Tags => 0.9,
            TextField::Name => 0.8,
            TextField::Metadata => 0.5,
        }
    }
}
