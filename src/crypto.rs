//! Secrets from the OS CSPRNG, digests for storage and constant-time checks.
//!
//! Tokens and client secrets carry 256 bits of entropy, so a single SHA-256
//! digest is a sound at-rest form for them: nothing short of the secret itself
//! reproduces it, and verification stays cheap on the hot path. Passwords are
//! chosen by people and get Argon2id instead.

use argon2::password_hash::{self, Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest as _, Sha256};
use std::fmt;
use std::sync::{Condvar, Mutex, OnceLock, PoisonError};
use subtle::ConstantTimeEq;
use zeroize::Zeroize;

/// SHA-256 digest of a secret (token, code, client secret, session id).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Digest(pub [u8; 32]);

impl Digest {
    /// Digest of `secret`.
    pub fn of(secret: &str) -> Self {
        Digest(Sha256::digest(secret.as_bytes()).into())
    }

    /// Rebuilds a digest read back from storage.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        <[u8; 32]>::try_from(bytes).ok().map(Digest)
    }

    /// Lower-case hex form, used as the public record id of a token.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Parses the hex form.
    pub fn from_hex(s: &str) -> Option<Self> {
        let bytes = hex::decode(s).ok()?;
        Self::from_slice(&bytes)
    }

    /// Constant-time equality: the comparison time does not depend on where
    /// the digests differ.
    pub fn ct_eq(&self, other: &Digest) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({}…)", &self.to_hex()[..8])
    }
}

/// A secret value that never shows in `Debug` output or logs, and is
/// wiped from memory when dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Drop for Secret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn digest(&self) -> Digest {
        Digest::of(&self.0)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// Fills `buf` from `rand`'s thread-local CSPRNG (ChaCha12, seeded and
/// periodically reseeded from the operating system).
pub fn fill_random(buf: &mut [u8]) {
    rand::rng().fill_bytes(buf);
}

/// `prefix` followed by 256 random bits in unpadded base64url (43 chars).
pub fn random_secret(prefix: &str) -> Secret {
    let mut bytes = [0u8; 32];
    fill_random(&mut bytes);
    let mut out = String::with_capacity(prefix.len() + 43);
    out.push_str(prefix);
    URL_SAFE_NO_PAD.encode_string(bytes, &mut out);
    bytes.zeroize();
    Secret(out)
}

/// A random 128-bit identifier in hex, for record ids.
pub fn random_id() -> String {
    let mut bytes = [0u8; 16];
    fill_random(&mut bytes);
    hex::encode(bytes)
}

/// Argon2id hash of a password in PHC string format.
pub fn hash_password(password: &str) -> Result<String, password_hash::Error> {
    let mut salt = [0u8; 16];
    fill_random(&mut salt);
    let argon2 = Argon2::default();
    let output = Output::init_with(Params::DEFAULT_OUTPUT_LEN, |out| {
        Ok(hash_into(&argon2, password.as_bytes(), &salt, out)?)
    })?;
    let salt = SaltString::encode_b64(&salt)?;
    let hash = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(argon2.params())?,
        salt: Some(salt.as_salt()),
        hash: Some(output),
    };
    Ok(hash.to_string())
}

/// Checks a password against a stored PHC hash; a malformed hash never matches.
pub fn verify_password(password: &str, phc: &str) -> bool {
    verify(password, phc).unwrap_or(false)
}

/// What `PasswordVerifier::verify_password` does, with [`hash_into`].
fn verify(password: &str, phc: &str) -> Result<bool, password_hash::Error> {
    let hash = PasswordHash::new(phc)?;
    let (Some(salt), Some(expected)) = (hash.salt, hash.hash) else {
        return Ok(false);
    };
    let version = hash.version.map(Version::try_from).transpose()?;
    let argon2 = Argon2::new(
        Algorithm::try_from(hash.algorithm)?,
        version.unwrap_or_default(),
        Params::try_from(&hash)?,
    );
    let mut salt_bytes = [0u8; 64];
    let salt = salt.decode_b64(&mut salt_bytes)?;
    let computed = Output::init_with(expected.len(), |out| {
        Ok(hash_into(&argon2, password.as_bytes(), salt, out)?)
    })?;
    // `Output` compares in constant time.
    Ok(computed == expected)
}

/// Argon2 into `out`, in working memory from [`ARGON2_MEMORY`].
fn hash_into(
    argon2: &Argon2<'_>,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> Result<(), argon2::Error> {
    let mut memory = ARGON2_MEMORY.take();
    let blocks = argon2.params().block_count();
    if memory.0.len() < blocks {
        memory.0.resize(blocks, Block::default());
    }
    argon2.hash_password_into_with_memory(password, salt, out, &mut memory.0[..])
}

/// Argon2's working memory (19 MiB a hash with the default parameters),
/// allocated once for each hash that may run at the same time, then reused.
/// Allocated per hash, as `argon2` does by itself, glibc's malloc kept the
/// freed blocks in its heaps: under concurrent logins the resident memory
/// grew by hundreds of megabytes and never came back. At most one hash per
/// CPU (and at most [`MAX_HASHES_AT_ONCE`]) runs at a time; more would only
/// compete for the CPUs.
static ARGON2_MEMORY: Argon2Memory = Argon2Memory {
    pool: Mutex::new(Pool {
        free: Vec::new(),
        allocated: 0,
    }),
    returned: Condvar::new(),
};

/// Bounds the pool (19 MiB each) on machines with many CPUs; eight hashes
/// at once still check hundreds of passwords a second.
const MAX_HASHES_AT_ONCE: usize = 8;

struct Argon2Memory {
    pool: Mutex<Pool>,
    returned: Condvar,
}

struct Pool {
    free: Vec<Vec<Block>>,
    allocated: usize,
}

/// Working memory on loan; goes back to the pool wiped when dropped.
struct Lent(Vec<Block>);

impl Argon2Memory {
    /// Memory for one hash, waiting while every buffer is in use.
    fn take(&self) -> Lent {
        static LIMIT: OnceLock<usize> = OnceLock::new();
        let limit = *LIMIT.get_or_init(|| {
            std::thread::available_parallelism().map_or(1, |n| n.get().min(MAX_HASHES_AT_ONCE))
        });
        let mut pool = self.pool.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if let Some(memory) = pool.free.pop() {
                return Lent(memory);
            }
            if pool.allocated < limit {
                pool.allocated += 1;
                return Lent(Vec::new());
            }
            pool = self
                .returned
                .wait(pool)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

impl Drop for Lent {
    fn drop(&mut self) {
        // What a hash leaves there derives from a password.
        self.0.fill(Block::default());
        let mut pool = ARGON2_MEMORY
            .pool
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        pool.free.push(std::mem::take(&mut self.0));
        ARGON2_MEMORY.returned.notify_one();
    }
}

/// Burns the same time as a real verification, so that an unknown user name
/// cannot be told from a wrong password by timing.
pub fn verify_password_dummy(password: &str) {
    static DUMMY: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    if let Some(phc) = DUMMY.get_or_init(|| hash_password("flowgate-dummy").ok()) {
        let _ = verify_password(password, phc);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_have_prefix_and_256_bits() {
        let s = random_secret("fgat_");
        assert!(s.expose().starts_with("fgat_"));
        assert_eq!(s.expose().len(), 5 + 43);
        assert_ne!(s, random_secret("fgat_"));
    }

    #[test]
    fn digest_round_trips_through_hex() {
        let d = Digest::of("abc");
        assert_eq!(Digest::from_hex(&d.to_hex()), Some(d));
        assert!(d.ct_eq(&Digest::of("abc")));
        assert!(!d.ct_eq(&Digest::of("abd")));
    }

    #[test]
    fn passwords_verify_only_with_the_right_password() {
        let phc = hash_password("correct horse").unwrap();
        assert!(phc.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &phc));
        assert!(!verify_password("wrong", &phc));
        assert!(!verify_password("x", "not-a-hash"));
    }

    #[test]
    fn password_hashes_agree_with_the_argon2_crate() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let salt = SaltString::encode_b64(b"sixteen byte slt").unwrap();
        let theirs = Argon2::default()
            .hash_password(b"correct horse", &salt)
            .unwrap()
            .to_string();
        assert!(verify_password("correct horse", &theirs));
        assert!(!verify_password("correct horsf", &theirs));
        let ours = hash_password("correct horse").unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(
            Argon2::default()
                .verify_password(b"correct horse", &parsed)
                .is_ok()
        );
        // Other parameters, as an older hash may carry: still checked.
        let params = Params::new(8 * 1024, 1, 1, None).unwrap();
        let other = Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password(b"pw", &salt)
            .unwrap()
            .to_string();
        assert!(verify_password("pw", &other));
        assert!(!verify_password("pX", &other));
    }

    #[test]
    fn concurrent_password_checks_share_bounded_memory() {
        let phc = hash_password("pw").unwrap();
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let phc = phc.clone();
                std::thread::spawn(move || verify_password("pw", &phc))
            })
            .collect();
        for t in threads {
            assert!(t.join().unwrap());
        }
        let pool = ARGON2_MEMORY.pool.lock().unwrap();
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        assert!(
            pool.allocated <= cpus.min(MAX_HASHES_AT_ONCE),
            "{}",
            pool.allocated
        );
    }

    #[test]
    fn secret_debug_is_redacted() {
        assert_eq!(format!("{:?}", Secret::new("x")), "Secret(<redacted>)");
    }
}
