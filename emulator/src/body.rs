//! Answer bodies: whole, trickled, truncated or generated.

use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use hyper::body::{Body, Bytes, Frame, SizeHint};
use tokio::time::{Sleep, sleep};

use crate::faults::{OVERSIZE_HEAD, OVERSIZE_TAIL};

/// How long a truncated body waits after its last bytes before failing, so
/// that they are flushed to the socket before the connection is closed.
const TRUNCATE_FLUSH_DELAY: Duration = Duration::from_millis(50);

/// Largest chunk of padding an oversize body writes at once.
const PADDING_CHUNK: usize = 64 * 1024;

/// A fault closes the connection: returned by the service (a `drop`
/// fault, before any answer) or by a body (a `truncated` one, mid-answer),
/// either of which makes hyper close the connection.
#[derive(Debug)]
pub(crate) struct ClosedByFault;

impl std::fmt::Display for ClosedByFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection closed by a fault")
    }
}

impl std::error::Error for ClosedByFault {}

/// The body of an emulator answer.
pub(crate) enum AnswerBody {
    /// All at once.
    Whole(Option<Bytes>),
    /// `chunk` bytes at a time, with a pause before each write but the first.
    Trickle {
        rest: Bytes,
        chunk: usize,
        interval: Duration,
        pause: Option<Pin<Box<Sleep>>>,
    },
    /// Some bytes, a short wait, then an error that closes the connection.
    Truncated {
        sent: Option<Bytes>,
        pause: Option<Pin<Box<Sleep>>>,
    },
    /// A JSON object padded with spaces to an exact size, made as it is sent.
    Oversize(OversizeStage),
}

/// Where an oversize body is: the padding stage counts the spaces left.
pub(crate) enum OversizeStage {
    Head(u64),
    Padding(u64),
    Done,
}

impl AnswerBody {
    pub(crate) fn whole(bytes: impl Into<Bytes>) -> AnswerBody {
        AnswerBody::Whole(Some(bytes.into()))
    }

    pub(crate) fn empty() -> AnswerBody {
        AnswerBody::Whole(None)
    }

    pub(crate) fn trickle(bytes: Bytes, chunk: u64, interval: Duration) -> AnswerBody {
        AnswerBody::Trickle {
            rest: bytes,
            chunk: usize::try_from(chunk.max(1)).unwrap_or(usize::MAX),
            interval,
            pause: None,
        }
    }

    pub(crate) fn truncated(bytes: Bytes) -> AnswerBody {
        AnswerBody::Truncated {
            sent: Some(bytes),
            pause: None,
        }
    }

    pub(crate) fn oversize(total: u64) -> AnswerBody {
        let skeleton = (OVERSIZE_HEAD.len() + OVERSIZE_TAIL.len()) as u64;
        AnswerBody::Oversize(OversizeStage::Head(total.saturating_sub(skeleton)))
    }
}

impl Body for AnswerBody {
    type Data = Bytes;
    type Error = ClosedByFault;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, ClosedByFault>>> {
        match self.get_mut() {
            AnswerBody::Whole(bytes) => Poll::Ready(bytes.take().map(|b| Ok(Frame::data(b)))),

            AnswerBody::Trickle {
                rest,
                chunk,
                interval,
                pause,
            } => {
                if rest.is_empty() {
                    return Poll::Ready(None);
                }
                if let Some(sleeping) = pause {
                    ready!(sleeping.as_mut().poll(cx));
                }
                *pause = Some(Box::pin(sleep(*interval)));
                let piece = rest.split_to((*chunk).min(rest.len()));
                Poll::Ready(Some(Ok(Frame::data(piece))))
            }

            AnswerBody::Truncated { sent, pause } => {
                if let Some(bytes) = sent.take() {
                    *pause = Some(Box::pin(sleep(TRUNCATE_FLUSH_DELAY)));
                    return Poll::Ready(Some(Ok(Frame::data(bytes))));
                }
                if let Some(sleeping) = pause {
                    ready!(sleeping.as_mut().poll(cx));
                }
                Poll::Ready(Some(Err(ClosedByFault)))
            }

            AnswerBody::Oversize(stage) => {
                let frame = match stage {
                    OversizeStage::Head(padding) => {
                        *stage = OversizeStage::Padding(*padding);
                        Bytes::from_static(OVERSIZE_HEAD.as_bytes())
                    }
                    OversizeStage::Padding(0) => {
                        *stage = OversizeStage::Done;
                        Bytes::from_static(OVERSIZE_TAIL.as_bytes())
                    }
                    OversizeStage::Padding(left) => {
                        let size =
                            usize::try_from(*left).map_or(PADDING_CHUNK, |l| l.min(PADDING_CHUNK));
                        *left -= size as u64;
                        Bytes::from(vec![b' '; size])
                    }
                    OversizeStage::Done => return Poll::Ready(None),
                };
                Poll::Ready(Some(Ok(Frame::data(frame))))
            }
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            AnswerBody::Whole(bytes) => {
                SizeHint::with_exact(bytes.as_ref().map_or(0, |b| b.len() as u64))
            }
            // The handler sets `Content-Length` for the others.
            _ => SizeHint::default(),
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self, AnswerBody::Whole(None))
    }
}
