use anchor_lang::prelude::*;
use smart_treasury_policy::{RollingWindow, WINDOW_SLOTS};

/// What was moved in the last rate-limit period, as stored: the policy's
/// `RollingWindow` (one amount per slice of the period) in borsh's layout.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, InitSpace)]
// The IDL build takes the type's description from the derives; the program reads and
// writes the same bytes by hand (below).
#[cfg_attr(feature = "idl-build", derive(AnchorSerialize, AnchorDeserialize))]
pub struct MovedWindow {
    /// Index of the newest slice written (unix seconds / slice length).
    pub newest_slice: u64,
    /// Amount moved per slice; slice `s` is at `s mod 9`.
    pub amounts: [u64; 9],
}

const _: () = assert!(WINDOW_SLOTS == 9, "MovedWindow stores one amount per window slot");

/// Borsh's layout (ten little-endian u64) written and read in one block: field by field
/// it cost every crank a few hundred units on SBF, each way.
#[cfg(not(feature = "idl-build"))]
impl AnchorSerialize for MovedWindow {
    fn serialize<W: borsh::io::Write>(&self, writer: &mut W) -> borsh::io::Result<()> {
        let mut bytes = [0u8; MovedWindow::INIT_SPACE];
        bytes[..8].copy_from_slice(&self.newest_slice.to_le_bytes());
        for (chunk, amount) in bytes[8..].chunks_exact_mut(8).zip(self.amounts) {
            chunk.copy_from_slice(&amount.to_le_bytes());
        }
        writer.write_all(&bytes)
    }
}

#[cfg(not(feature = "idl-build"))]
impl AnchorDeserialize for MovedWindow {
    fn deserialize_reader<R: borsh::io::Read>(reader: &mut R) -> borsh::io::Result<Self> {
        let mut bytes = [0u8; MovedWindow::INIT_SPACE];
        reader.read_exact(&mut bytes)?;
        let word = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"));
        let mut amounts = [0u64; 9];
        for (slot, amount) in amounts.iter_mut().enumerate() {
            *amount = word(8 + 8 * slot);
        }
        Ok(Self { newest_slice: word(0), amounts })
    }
}

impl From<MovedWindow> for RollingWindow {
    fn from(stored: MovedWindow) -> Self {
        Self { newest_slice: stored.newest_slice, amounts: stored.amounts }
    }
}

impl From<RollingWindow> for MovedWindow {
    fn from(window: RollingWindow) -> Self {
        Self { newest_slice: window.newest_slice, amounts: window.amounts }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moved_window_reads_and_writes_what_borsh_would() {
        let window = MovedWindow { newest_slice: u64::MAX - 7, amounts: [1, 2, 3, 4, 5, 6, 7, 8, u64::MAX] };
        let bytes = borsh::to_vec(&window).unwrap();
        let mut expected = window.newest_slice.to_le_bytes().to_vec();
        window.amounts.iter().for_each(|amount| expected.extend(amount.to_le_bytes()));
        assert_eq!(bytes, expected);
        assert_eq!(MovedWindow::deserialize(&mut &bytes[..]).unwrap(), window);
        assert!(MovedWindow::deserialize(&mut &bytes[..79]).is_err());
    }
}
