//! Python's hashing rules for the built-in types, bit-exact with CPython 3.11.
//!
//! Equal values must hash equal across types (`hash(1) == hash(1.0) == hash(True)`),
//! so numbers use CPython's reduction modulo the Mersenne prime `2**61 - 1`
//! (`Python/pyhash.c`, `Objects/longobject.c:long_hash`), and tuples CPython's
//! xxHash-derived combiner (`Objects/tupleobject.c:tuplehash`). Matching CPython
//! exactly costs nothing and lets differential tests compare hashes directly.
//!
//! `str` and `bytes` hash with SipHash-1-3 like CPython, keyed per runtime (see
//! [`StrHasherKey`]); those values differ from CPython's, whose key is random anyway.

/// `sys.hash_info.bits` for numeric hashing: the modulus is `2**61 - 1`.
pub const HASH_BITS: u32 = 61;
/// `sys.hash_info.modulus`.
pub const HASH_MODULUS: u64 = (1 << HASH_BITS) - 1;
/// `sys.hash_info.inf`: the hash of `float('inf')`.
pub const HASH_INF: i64 = 314_159;

/// A hash value as Python sees it (`Py_hash_t`); never `-1`, which CPython reserves for errors.
pub type PyHash = i64;

/// CPython never returns `-1` from a hash function: it becomes `-2`.
#[inline]
fn fix_minus_one(h: i64) -> PyHash {
    if h == -1 { -2 } else { h }
}

/// `hash(n)` for an integer (CPython's `long_hash` for values that fit in 64 bits).
///
/// ```
/// use mrt_object::hash::hash_int;
/// assert_eq!(hash_int(-1), -2);
/// assert_eq!(hash_int(i64::MIN), -4);
/// assert_eq!(hash_int(i64::MAX), 3);
/// ```
#[inline]
pub fn hash_int(v: i64) -> PyHash {
    let magnitude = v.unsigned_abs() % HASH_MODULUS;
    let h = if v < 0 {
        -(magnitude as i64)
    } else {
        magnitude as i64
    };
    fix_minus_one(h)
}

/// CPython's `_Py_HashPointer`: an object's identity hash (address rotated right by 4
/// bits, since the low bits of aligned addresses are always zero).
///
/// ```
/// use mrt_object::hash::hash_pointer;
/// assert_eq!(hash_pointer(0x1230), 0x123);
/// ```
#[inline]
pub fn hash_pointer(addr: usize) -> PyHash {
    fix_minus_one((addr as u64).rotate_right(4) as i64)
}

/// `hash(b)` for a bool: the hash of `0` or `1`.
#[inline]
pub fn hash_bool(b: bool) -> PyHash {
    b as i64
}

/// Splits a finite, non-zero `v` into `m * 2**e` with `0.5 <= |m| < 1` (C's `frexp`).
fn frexp(v: f64) -> (f64, i32) {
    if v == 0.0 || !v.is_finite() {
        return (v, 0);
    }
    let bits = v.to_bits();
    let exp_bits = ((bits >> 52) & 0x7ff) as i32;
    if exp_bits == 0 {
        // Subnormal: scale into the normal range first.
        let (m, e) = frexp(v * f64::from_bits(0x4350_0000_0000_0000)); // 2**54
        return (m, e - 54);
    }
    let e = exp_bits - 1022;
    let m = f64::from_bits((bits & !(0x7ff << 52)) | (1022 << 52));
    (m, e)
}

/// `hash(x)` for a float (CPython's `_Py_HashDouble`).
///
/// A float equal to an integer hashes like that integer. NaN hashes by identity in
/// CPython 3.10+; `nan_identity` is the object's identity hash the caller supplies.
///
/// ```
/// use mrt_object::hash::{hash_float, hash_int};
/// assert_eq!(hash_float(3.0, 0), hash_int(3));
/// assert_eq!(hash_float(1.5, 0), 1152921504606846977);
/// assert_eq!(hash_float(f64::INFINITY, 0), 314159);
/// ```
pub fn hash_float(v: f64, nan_identity: PyHash) -> PyHash {
    if !v.is_finite() {
        if v.is_infinite() {
            return if v > 0.0 { HASH_INF } else { -HASH_INF };
        }
        return nan_identity;
    }
    let (mut m, mut e) = frexp(v);
    let mut sign: i64 = 1;
    if m < 0.0 {
        sign = -1;
        m = -m;
    }
    // Process 28 bits of the mantissa at a time, reducing modulo 2**61 - 1.
    let mut x: u64 = 0;
    while m != 0.0 {
        x = ((x << 28) & HASH_MODULUS) | (x >> (HASH_BITS - 28));
        m *= 268_435_456.0; // 2**28
        e -= 28;
        let y = m as u64; // integer part
        m -= y as f64;
        x += y;
        if x >= HASH_MODULUS {
            x -= HASH_MODULUS;
        }
    }
    // Multiply by 2**e, a rotation modulo 2**61 - 1.
    let bits = HASH_BITS as i32;
    let e = if e >= 0 {
        e % bits
    } else {
        bits - 1 - ((-1 - e) % bits)
    } as u32;
    x = ((x << e) & HASH_MODULUS) | (x >> (HASH_BITS - e));
    fix_minus_one((x as i64).wrapping_mul(sign))
}

const XXPRIME_1: u64 = 11_400_714_785_074_694_791;
const XXPRIME_2: u64 = 14_029_467_366_897_019_727;
const XXPRIME_5: u64 = 2_870_177_450_012_600_261;

/// Incremental form of CPython's `tuplehash`: feed the element hashes in order.
///
/// ```
/// use mrt_object::hash::{TupleHasher, hash_int};
/// let mut t = TupleHasher::new();
/// t.add(hash_int(1));
/// t.add(hash_int(2));
/// assert_eq!(t.finish(), -3550055125485641917);
/// assert_eq!(TupleHasher::new().finish(), 5740354900026072187); // hash(())
/// ```
#[derive(Debug, Clone)]
pub struct TupleHasher {
    acc: u64,
    len: u64,
}

impl Default for TupleHasher {
    fn default() -> Self {
        Self::new()
    }
}

impl TupleHasher {
    /// A hasher for an empty tuple.
    pub fn new() -> Self {
        TupleHasher {
            acc: XXPRIME_5,
            len: 0,
        }
    }

    /// Mix in the hash of the next element.
    #[inline]
    pub fn add(&mut self, lane: PyHash) {
        self.acc = self.acc.wrapping_add((lane as u64).wrapping_mul(XXPRIME_2));
        self.acc = self.acc.rotate_left(31);
        self.acc = self.acc.wrapping_mul(XXPRIME_1);
        self.len += 1;
    }

    /// The tuple's hash.
    pub fn finish(&self) -> PyHash {
        let acc = self.acc.wrapping_add(self.len ^ (XXPRIME_5 ^ 3_527_539));
        if acc == u64::MAX {
            return 1_546_275_796;
        }
        acc as i64
    }
}

/// The per-runtime key for hashing `str` and `bytes` (CPython's hash secret).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StrHasherKey(pub u64, pub u64);

impl StrHasherKey {
    /// A key from the process's randomness (what `PYTHONHASHSEED=random` gives CPython).
    pub fn random() -> Self {
        use std::hash::{BuildHasher, Hasher};
        let state = std::collections::hash_map::RandomState::new();
        let mut a = state.build_hasher();
        a.write_u64(0x6d72_7400_0000_0001);
        let mut b = state.build_hasher();
        b.write_u64(0x6d72_7400_0000_0002);
        StrHasherKey(a.finish(), b.finish())
    }
}

/// SipHash-1-3 of `bytes` under `key` (CPython's `siphash13`), as a Python hash.
pub fn hash_bytes(key: StrHasherKey, bytes: &[u8]) -> PyHash {
    if bytes.is_empty() {
        return 0; // CPython: hash('') == hash(b'') == 0
    }
    fix_minus_one(siphash13(key.0, key.1, bytes) as i64)
}

#[inline(always)]
fn sipround(v: &mut [u64; 4]) {
    v[0] = v[0].wrapping_add(v[1]);
    v[1] = v[1].rotate_left(13);
    v[1] ^= v[0];
    v[0] = v[0].rotate_left(32);
    v[2] = v[2].wrapping_add(v[3]);
    v[3] = v[3].rotate_left(16);
    v[3] ^= v[2];
    v[0] = v[0].wrapping_add(v[3]);
    v[3] = v[3].rotate_left(21);
    v[3] ^= v[0];
    v[2] = v[2].wrapping_add(v[1]);
    v[1] = v[1].rotate_left(17);
    v[1] ^= v[2];
    v[2] = v[2].rotate_left(32);
}

/// SipHash-1-3 (one compression round, three finalization rounds), as CPython uses.
fn siphash13(k0: u64, k1: u64, data: &[u8]) -> u64 {
    let mut v = [
        k0 ^ 0x736f_6d65_7073_6575,
        k1 ^ 0x646f_7261_6e64_6f6d,
        k0 ^ 0x6c79_6765_6e65_7261,
        k1 ^ 0x7465_6462_7974_6573,
    ];
    let mut chunks = data.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let m = u64::from_le_bytes(word);
        v[3] ^= m;
        sipround(&mut v);
        v[0] ^= m;
    }
    let rest = chunks.remainder();
    let mut last = (data.len() as u64) << 56;
    for (i, &b) in rest.iter().enumerate() {
        last |= (b as u64) << (8 * i);
    }
    v[3] ^= last;
    sipround(&mut v);
    v[0] ^= last;
    v[2] ^= 0xff;
    sipround(&mut v);
    sipround(&mut v);
    sipround(&mut v);
    v[0] ^ v[1] ^ v[2] ^ v[3]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values printed by CPython 3.11's `hash()` on this machine.
    #[test]
    fn ints_match_cpython() {
        let cases: &[(i64, i64)] = &[
            (0, 0),
            (1, 1),
            (-1, -2),
            (-2, -2),
            (2_305_843_009_213_693_951, 0),
            (2_305_843_009_213_693_952, 1),
            (4_611_686_018_427_387_904, 2),
            (i64::MIN, -4),
            (i64::MAX, 3),
        ];
        for &(v, h) in cases {
            assert_eq!(hash_int(v), h, "hash({v})");
        }
    }

    #[test]
    fn floats_match_cpython() {
        let cases: &[(f64, i64)] = &[
            (1.5, 1_152_921_504_606_846_977),
            (-0.0, 0),
            (0.1, 230_584_300_921_369_408),
            (1e300, 1_224_995_262_755_759_164),
            (1e-300, 482_449_582_752_280_463),
            (f64::INFINITY, 314_159),
            (f64::NEG_INFINITY, -314_159),
            (3.0, 3),
            (-1.0, -2),
            (1.180_591_620_717_411_3e21, 512),
        ];
        for &(v, h) in cases {
            assert_eq!(hash_float(v, 0), h, "hash({v:?})");
        }
        assert_eq!(hash_float(f64::NAN, 1234), 1234);
    }

    #[test]
    fn equal_numbers_hash_equal() {
        for i in -1000i64..1000 {
            assert_eq!(hash_int(i), hash_float(i as f64, 0));
        }
        assert_eq!(hash_bool(true), hash_int(1));
        assert_eq!(hash_bool(false), hash_float(0.0, 0));
        let big = 1i64 << 60;
        assert_eq!(hash_int(big), hash_float(big as f64, 0));
    }

    #[test]
    fn tuples_match_cpython() {
        let hash_of = |lanes: &[i64]| {
            let mut t = TupleHasher::new();
            lanes.iter().for_each(|&l| t.add(l));
            t.finish()
        };
        assert_eq!(hash_of(&[]), 5_740_354_900_026_072_187);
        assert_eq!(hash_of(&[1]), -6_644_214_454_873_602_895);
        assert_eq!(hash_of(&[1, 2]), -3_550_055_125_485_641_917);
        let inner = hash_of(&[2, hash_float(3.5, 0)]);
        assert_eq!(hash_of(&[1, inner]), -9_148_893_311_433_065_316);
        assert_eq!(hash_of(&[hash_int(-1)]), 8_078_679_518_589_016_365);
    }

    #[test]
    fn bytes_match_cpython_with_zero_key() {
        // `PYTHONHASHSEED=0 python3 -c 'print(hash(b"..."))'`: CPython keys SipHash-1-3
        // with zeros then, so these are exact reference vectors.
        let zero = StrHasherKey(0, 0);
        let cases: &[(&[u8], i64)] = &[
            (b"", 0),
            (b"a", 4_644_417_185_603_328_019),
            (b"abc", -4_594_863_902_769_663_758),
            (b"hello world", -5_642_461_784_034_726_774),
            (b"exactly8", -7_020_876_967_557_843_569),
            (b"sixteen-bytes!!!", 3_324_665_156_238_921_881),
            ("h\u{e9}llo".as_bytes(), -7_868_526_401_592_800_201),
        ];
        for &(bytes, h) in cases {
            assert_eq!(hash_bytes(zero, bytes), h, "hash({bytes:?})");
        }
        let random = StrHasherKey::random();
        assert_ne!(random, StrHasherKey::random());
    }
}
