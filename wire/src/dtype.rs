//! numpy's dtypes: [`Scalar`] (the element type), [`ByteOrder`] and [`Dtype`] (the two, as numpy's
//! dtype string `|u1`, `<f4`, `>i2` names them). A leaf: the frame, the codecs and the errors
//! build on it.

use crate::text::peer_text;

/// Why a dtype string was refused. A peer's dtype becomes a [`DecodeError`] with the same text.
///
/// [`DecodeError`]: crate::DecodeError
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DtypeError {
    /// A dtype string that netgear-rs does not know: quoted, cut to
    /// [`PEER_TEXT_LIMIT`](crate::PEER_TEXT_LIMIT) bytes.
    #[error("unsupported dtype {0}")]
    Unsupported(String),
    /// An object dtype (`|O`): its payload is a pickle, which netgear-rs never unpickles.
    #[error(
        "refused an object-dtype array: its payload is a Python pickle, which is never unpickled"
    )]
    Object,
    /// A structured (record) dtype (`|V…`).
    #[error("refused a structured-dtype array: structured dtypes are not supported")]
    Structured,
}

/// The element type of a [`Frame`](crate::Frame), without byte order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scalar {
    /// `bool` (`b1`), one byte, 0 or 1.
    Bool,
    /// `uint8` (`u1`).
    U8,
    /// `int8` (`i1`).
    I8,
    /// `uint16` (`u2`).
    U16,
    /// `int16` (`i2`).
    I16,
    /// `uint32` (`u4`).
    U32,
    /// `int32` (`i4`).
    I32,
    /// `uint64` (`u8`).
    U64,
    /// `int64` (`i8`).
    I64,
    /// `float16` (`f2`).
    F16,
    /// `float32` (`f4`).
    F32,
    /// `float64` (`f8`).
    F64,
}

impl Scalar {
    /// Size of one element in bytes.
    pub const fn itemsize(self) -> usize {
        match self {
            Scalar::Bool | Scalar::U8 | Scalar::I8 => 1,
            Scalar::U16 | Scalar::I16 | Scalar::F16 => 2,
            Scalar::U32 | Scalar::I32 | Scalar::F32 => 4,
            Scalar::U64 | Scalar::I64 | Scalar::F64 => 8,
        }
    }

    /// numpy's name for the type (`uint8`, `float32`, `bool`, ...).
    pub const fn numpy_name(self) -> &'static str {
        match self {
            Scalar::Bool => "bool",
            Scalar::U8 => "uint8",
            Scalar::I8 => "int8",
            Scalar::U16 => "uint16",
            Scalar::I16 => "int16",
            Scalar::U32 => "uint32",
            Scalar::I32 => "int32",
            Scalar::U64 => "uint64",
            Scalar::I64 => "int64",
            Scalar::F16 => "float16",
            Scalar::F32 => "float32",
            Scalar::F64 => "float64",
        }
    }

    const fn code(self) -> &'static str {
        match self {
            Scalar::Bool => "b1",
            Scalar::U8 => "u1",
            Scalar::I8 => "i1",
            Scalar::U16 => "u2",
            Scalar::I16 => "i2",
            Scalar::U32 => "u4",
            Scalar::I32 => "i4",
            Scalar::U64 => "u8",
            Scalar::I64 => "i8",
            Scalar::F16 => "f2",
            Scalar::F32 => "f4",
            Scalar::F64 => "f8",
        }
    }

    /// Every element type, smallest first.
    pub const ALL: [Scalar; 12] = [
        Scalar::Bool,
        Scalar::U8,
        Scalar::I8,
        Scalar::U16,
        Scalar::I16,
        Scalar::U32,
        Scalar::I32,
        Scalar::U64,
        Scalar::I64,
        Scalar::F16,
        Scalar::F32,
        Scalar::F64,
    ];
}

/// Byte order of multi-byte elements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ByteOrder {
    /// `<`
    Little,
    /// `>`
    Big,
}

impl ByteOrder {
    /// The byte order of this machine.
    pub const NATIVE: ByteOrder = if cfg!(target_endian = "big") {
        ByteOrder::Big
    } else {
        ByteOrder::Little
    };
}

/// A numpy dtype: element type and byte order (one-byte types have none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Dtype {
    scalar: Scalar,
    order: Option<ByteOrder>,
}

impl Dtype {
    /// `|u1`, the dtype of BGR images.
    pub const U8: Dtype = Dtype::native(Scalar::U8);

    /// The dtype of `scalar` in this machine's byte order.
    pub const fn native(scalar: Scalar) -> Dtype {
        Dtype::with_order(scalar, ByteOrder::NATIVE)
    }

    /// The dtype of `scalar` in `order` (ignored for one-byte types).
    pub const fn with_order(scalar: Scalar, order: ByteOrder) -> Dtype {
        let order = if scalar.itemsize() == 1 {
            None
        } else {
            Some(order)
        };
        Dtype { scalar, order }
    }

    /// Parses numpy's dtype string (`dtype.str`): `|u1`, `<f4`, `>i2`, ...
    ///
    /// Structured (`|V…`) and object (`|O`) dtypes are refused: netgear-rs never unpickles.
    pub fn parse(s: &str) -> Result<Dtype, DtypeError> {
        let unsupported = || DtypeError::Unsupported(peer_text(s.as_bytes()));
        let (order, code) = match s.as_bytes().first() {
            Some(b'<') => (Some(ByteOrder::Little), &s[1..]),
            Some(b'>') => (Some(ByteOrder::Big), &s[1..]),
            Some(b'=') => (Some(ByteOrder::NATIVE), &s[1..]),
            Some(b'|') => (None, &s[1..]),
            _ => (None, s),
        };
        if code.starts_with('O') {
            return Err(DtypeError::Object);
        }
        if code.starts_with('V') {
            return Err(DtypeError::Structured);
        }
        let scalar = Scalar::ALL
            .into_iter()
            .find(|sc| sc.code() == code)
            .ok_or_else(unsupported)?;
        match (scalar.itemsize(), order) {
            (1, _) => Ok(Dtype::native(scalar)),
            (_, Some(order)) => Ok(Dtype::with_order(scalar, order)),
            (_, None) => Err(unsupported()),
        }
    }

    /// numpy's dtype string, as msgpack_numpy writes it (`|u1`, `<f4`, `>i2`).
    pub const fn as_str(&self) -> &'static str {
        macro_rules! names {
            ($($s:ident => $one:literal, $le:literal, $be:literal;)*) => {
                match (self.scalar, self.order) {
                    $(
                        (Scalar::$s, None) => $one,
                        (Scalar::$s, Some(ByteOrder::Little)) => $le,
                        (Scalar::$s, Some(ByteOrder::Big)) => $be,
                    )*
                }
            };
        }
        names! {
            Bool => "|b1", "<b1", ">b1";
            U8 => "|u1", "<u1", ">u1";
            I8 => "|i1", "<i1", ">i1";
            U16 => "|u2", "<u2", ">u2";
            I16 => "|i2", "<i2", ">i2";
            U32 => "|u4", "<u4", ">u4";
            I32 => "|i4", "<i4", ">i4";
            U64 => "|u8", "<u8", ">u8";
            I64 => "|i8", "<i8", ">i8";
            F16 => "|f2", "<f2", ">f2";
            F32 => "|f4", "<f4", ">f4";
            F64 => "|f8", "<f8", ">f8";
        }
    }

    /// The element type.
    pub const fn scalar(&self) -> Scalar {
        self.scalar
    }

    /// The byte order; `None` for one-byte types.
    pub const fn order(&self) -> Option<ByteOrder> {
        self.order
    }

    /// Size of one element in bytes.
    pub const fn itemsize(&self) -> usize {
        self.scalar.itemsize()
    }

    /// numpy's name (`uint8`, `float32`, ...).
    pub const fn numpy_name(&self) -> &'static str {
        self.scalar.numpy_name()
    }
}

impl std::fmt::Display for Dtype {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dtype_strings_round_trip() {
        for s in [
            "|u1", "|i1", "|b1", "<u2", "<i2", "<u4", "<i4", "<u8", "<i8", "<f2", "<f4", "<f8",
            ">u2", ">i2", ">u4", ">i4", ">u8", ">i8", ">f2", ">f4", ">f8",
        ] {
            assert_eq!(Dtype::parse(s).unwrap().as_str(), s);
        }
    }

    #[test]
    fn refuses_object_structured_and_unknown_dtypes() {
        assert_eq!(Dtype::parse("|O"), Err(DtypeError::Object));
        assert_eq!(Dtype::parse("|V12"), Err(DtypeError::Structured));
        assert!(matches!(
            Dtype::parse("<c16"),
            Err(DtypeError::Unsupported(_))
        ));
        assert!(matches!(
            Dtype::parse("|u2"),
            Err(DtypeError::Unsupported(_))
        ));
        assert!(matches!(Dtype::parse(""), Err(DtypeError::Unsupported(_))));
    }
}
