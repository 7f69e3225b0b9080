//! Read-only memory (the boot ROM holding the reset vector).

use cpu_riscv::BusError;

use super::reg_slice;
use crate::bus::Device;

pub struct Rom {
    data: Vec<u8>,
}

impl Rom {
    /// `size` bytes holding `contents` at the start, zero after it.
    pub fn new(contents: &[u8], size: usize) -> Rom {
        let mut data = vec![0; size.max(contents.len())];
        data[..contents.len()].copy_from_slice(contents);
        Rom { data }
    }

    pub fn bytes(&self) -> &[u8] {
        &self.data
    }
}

impl Device for Rom {
    fn read(&mut self, offset: u64, size: u8) -> Result<u64, BusError> {
        let off = usize::try_from(offset).map_err(|_| BusError::Unmapped)?;
        let bytes = self.data.get(off..off + usize::from(size)).ok_or(BusError::Unmapped)?;
        let mut b = [0u8; 8];
        b[..bytes.len()].copy_from_slice(bytes);
        Ok(reg_slice(u64::from_le_bytes(b), 0, size))
    }

    fn write(&mut self, _offset: u64, _size: u8, _val: u64) -> Result<(), BusError> {
        // QEMU's MROM silently ignores writes.
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_ignores_writes() {
        let mut r = Rom::new(&[1, 2, 3, 4, 5, 6, 7, 8, 9], 16);
        assert_eq!(r.read(0, 4), Ok(0x0403_0201));
        assert_eq!(r.read(1, 8), Ok(0x0908_0706_0504_0302));
        r.write(0, 4, 0).unwrap();
        assert_eq!(r.read(0, 1), Ok(1));
        assert_eq!(r.read(15, 1), Ok(0));
        assert_eq!(r.read(15, 2), Err(BusError::Unmapped));
    }
}
