//! A small decoder of fuzz bytes into choices: each read takes what it needs from the front and
//! yields zeros once the input is used up, so every input decodes to something.

pub struct Bytes<'a> {
    data: &'a [u8],
}

impl<'a> Bytes<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Bytes { data }
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    pub fn u8(&mut self) -> u8 {
        match self.data.split_first() {
            Some((&b, rest)) => {
                self.data = rest;
                b
            }
            None => 0,
        }
    }

    pub fn bool(&mut self) -> bool {
        self.u8() & 1 == 1
    }

    pub fn u16(&mut self) -> u16 {
        u16::from_be_bytes([self.u8(), self.u8()])
    }

    pub fn u32(&mut self) -> u32 {
        u32::from_be_bytes([self.u8(), self.u8(), self.u8(), self.u8()])
    }

    /// One of `n` choices (`n > 0`).
    pub fn pick(&mut self, n: usize) -> usize {
        usize::from(self.u8()) % n
    }

    /// A slice of at most `max` bytes, its length read first.
    pub fn slice(&mut self, max: usize) -> &'a [u8] {
        let len = (usize::from(self.u16())).min(max).min(self.data.len());
        let (head, rest) = self.data.split_at(len);
        self.data = rest;
        head
    }
}
