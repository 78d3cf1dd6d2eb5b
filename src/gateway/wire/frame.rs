//! Length-prefixed frames: `[u32 BE length][body]`, decoded incrementally from a byte buffer.
//! A bad length is an error for that connection only; nothing here panics or allocates more
//! than one frame's declared (and bounded) size.

use bytes::{Buf, BytesMut};

/// Largest body the gateway accepts from a client (ibapi itself refuses > 0xFF_FFFF).
pub const MAX_CLIENT_FRAME: usize = 1 << 20;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("frame length {0} exceeds the limit of {MAX_CLIENT_FRAME} bytes")]
    TooLong(usize),
    #[error("frame length {0} is below the 4-byte message id")]
    TooShort(usize),
    #[error("expected the API prefix \"API\\0\", got {0:02x?}")]
    BadPrefix([u8; 4]),
}

/// Incremental frame decoder.
#[derive(Debug, Default)]
pub struct FrameDecoder {
    buf: BytesMut,
    /// Minimum body length accepted (4 once messages carry an id; 1 for the version string).
    min_len: usize,
}

impl FrameDecoder {
    pub fn new(min_len: usize) -> Self {
        Self { buf: BytesMut::with_capacity(4096), min_len }
    }

    pub fn set_min_len(&mut self, min_len: usize) {
        self.min_len = min_len;
    }

    /// Appends bytes read from the socket.
    pub fn extend(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }

    /// The buffer to read into directly.
    pub fn buffer_mut(&mut self) -> &mut BytesMut {
        &mut self.buf
    }

    /// Consumes the 4-byte `API\0` prefix if present. `Ok(false)` = need more bytes.
    pub fn take_api_prefix(&mut self) -> Result<bool, FrameError> {
        if self.buf.len() < 4 {
            return Ok(false);
        }
        let mut p = [0u8; 4];
        p.copy_from_slice(&self.buf[..4]);
        if &p != b"API\0" {
            return Err(FrameError::BadPrefix(p));
        }
        self.buf.advance(4);
        Ok(true)
    }

    /// Next complete frame body, `Ok(None)` if more bytes are needed.
    pub fn next_frame(&mut self) -> Result<Option<Vec<u8>>, FrameError> {
        if self.buf.len() < 4 {
            return Ok(None);
        }
        let len = u32::from_be_bytes([self.buf[0], self.buf[1], self.buf[2], self.buf[3]]) as usize;
        if len > MAX_CLIENT_FRAME {
            return Err(FrameError::TooLong(len));
        }
        if len < self.min_len {
            return Err(FrameError::TooShort(len));
        }
        if self.buf.len() < 4 + len {
            self.buf.reserve(4 + len - self.buf.len());
            return Ok(None);
        }
        self.buf.advance(4);
        Ok(Some(self.buf.split_to(len).to_vec()))
    }
}

/// Appends `[len][body]` to `out`.
pub fn put_frame(out: &mut Vec<u8>, body: &[u8]) {
    out.extend_from_slice(&(body.len() as u32).to_be_bytes());
    out.extend_from_slice(body);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_frames_across_partial_reads() {
        let mut d = FrameDecoder::new(4);
        let mut wire = Vec::new();
        put_frame(&mut wire, &[0, 0, 1, 6]);
        put_frame(&mut wire, &[0, 0, 0, 217, 10, 1, 65]);
        for chunk in wire.chunks(3) {
            d.extend(chunk);
        }
        assert_eq!(d.next_frame(), Ok(Some(vec![0, 0, 1, 6])));
        assert_eq!(d.next_frame(), Ok(Some(vec![0, 0, 0, 217, 10, 1, 65])));
        assert_eq!(d.next_frame(), Ok(None));
    }

    #[test]
    fn rejects_huge_and_tiny_lengths() {
        let mut d = FrameDecoder::new(4);
        d.extend(&[0xff, 0xff, 0xff, 0xff]);
        assert!(matches!(d.next_frame(), Err(FrameError::TooLong(_))));
        let mut d = FrameDecoder::new(4);
        d.extend(&[0, 0, 0, 2, 1, 2]);
        assert_eq!(d.next_frame(), Err(FrameError::TooShort(2)));
    }

    #[test]
    fn api_prefix_checked() {
        let mut d = FrameDecoder::new(1);
        d.extend(b"GET ");
        assert!(d.take_api_prefix().is_err());
        let mut d = FrameDecoder::new(1);
        d.extend(b"API\0");
        assert_eq!(d.take_api_prefix(), Ok(true));
    }
}
