//! From a browser's transport-wide congestion control feedback (RTCP, draft-holmer-rmcat-
//! transport-wide-cc-extensions-01) to the estimator's [`PacketReport`]s.
//!
//! The feedback names packets by the 16-bit transport-wide sequence number the SFU wrote into
//! them, from a base number, with a status per packet (not received, received with a small or a
//! large arrival delta) and the deltas in 250 µs steps after a reference time in 64 ms steps. The
//! SFU numbers its packets with a 64-bit counter of which the wire carries the low 16 bits; a
//! reported number is taken as the 64-bit number nearest to the last one sent.

use super::PacketReport;
use rtc::rtcp::transport_feedbacks::transport_layer_cc::{PacketStatusChunk, SymbolTypeTcc, TransportLayerCc};
use std::time::Duration;

/// The reference time counts in 64 ms.
const REFERENCE_TIME_UNIT_US: i64 = 64_000;

/// The 64-bit sequence number whose low 16 bits are `wire`, nearest to `near`.
pub fn unwrap_near(wire: u16, near: u64) -> u64 {
    let near_low = near as u16;
    let forward = wire.wrapping_sub(near_low);
    if forward < 0x8000 {
        near + u64::from(forward)
    } else {
        near.saturating_sub(u64::from(near_low.wrapping_sub(wire)))
    }
}

/// Appends to `out` what `feedback` says of each packet, in sequence order; `last_sent` is the
/// 64-bit number of the newest packet sent to this subscriber. Packets reported received
/// without a time say nothing the estimator can use and are left out.
pub fn reports(feedback: &TransportLayerCc, last_sent: u64, out: &mut Vec<PacketReport>) {
    let base = unwrap_near(feedback.base_sequence_number, last_sent);
    let count = usize::from(feedback.packet_status_count);
    let statuses = feedback
        .packet_chunks
        .iter()
        .flat_map(|chunk| -> Box<dyn Iterator<Item = SymbolTypeTcc> + '_> {
            match chunk {
                PacketStatusChunk::RunLengthChunk(run) => {
                    Box::new(std::iter::repeat_n(run.packet_status_symbol, usize::from(run.run_length)))
                }
                PacketStatusChunk::StatusVectorChunk(vector) => Box::new(vector.symbol_list.iter().copied()),
            }
        })
        .take(count);
    // The reference time is a signed 24-bit count; arrival times are kept as microseconds from
    // it, shifted so that they stay positive (only differences matter).
    let mut arrival_us = i64::from(feedback.reference_time) * REFERENCE_TIME_UNIT_US;
    let mut deltas = feedback.recv_deltas.iter();
    for (offset, status) in statuses.enumerate() {
        let sequence = base + offset as u64;
        match status {
            SymbolTypeTcc::PacketNotReceived => out.push(PacketReport { sequence, arrived: None }),
            SymbolTypeTcc::PacketReceivedSmallDelta | SymbolTypeTcc::PacketReceivedLargeDelta => {
                let Some(delta) = deltas.next() else { return };
                arrival_us += delta.delta;
                let arrived = Duration::from_micros(arrival_us.max(0) as u64);
                out.push(PacketReport { sequence, arrived: Some(arrived) });
            }
            SymbolTypeTcc::PacketReceivedWithoutDelta => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtc::rtcp::transport_feedbacks::transport_layer_cc::{
        RecvDelta, RunLengthChunk, StatusChunkTypeTcc, StatusVectorChunk, SymbolSizeTypeTcc,
        TYPE_TCC_DELTA_SCALE_FACTOR,
    };

    fn delta(steps: i64) -> RecvDelta {
        let symbol = if (0..=255).contains(&steps) {
            SymbolTypeTcc::PacketReceivedSmallDelta
        } else {
            SymbolTypeTcc::PacketReceivedLargeDelta
        };
        RecvDelta { type_tcc_packet: symbol, delta: steps * TYPE_TCC_DELTA_SCALE_FACTOR }
    }

    #[test]
    fn wire_numbers_unwrap_to_the_nearest_sent_number() {
        assert_eq!(unwrap_near(10, 10), 10);
        assert_eq!(unwrap_near(5, 70_000), 65_541, "a little behind, same wrap");
        assert_eq!(unwrap_near(65_535, 65_536 + 3), 65_535, "behind, across the wrap");
        assert_eq!(unwrap_near(2, 65_534), 65_538, "ahead, across the wrap");
        assert_eq!(unwrap_near(60_000, 100), 0, "nothing before the first packet");
    }

    #[test]
    fn a_run_of_received_packets_gets_their_arrival_times() {
        let feedback = TransportLayerCc {
            base_sequence_number: 65_534,
            packet_status_count: 3,
            reference_time: 10,
            packet_chunks: vec![PacketStatusChunk::RunLengthChunk(RunLengthChunk {
                type_tcc: StatusChunkTypeTcc::RunLengthChunk,
                packet_status_symbol: SymbolTypeTcc::PacketReceivedSmallDelta,
                run_length: 3,
            })],
            recv_deltas: vec![delta(4), delta(8), delta(0)],
            ..Default::default()
        };
        let mut out = Vec::new();
        reports(&feedback, 65_536, &mut out);
        let at = |ms: f64| Some(Duration::from_micros((640_000.0 + ms * 1000.0) as u64));
        assert_eq!(
            out,
            vec![
                PacketReport { sequence: 65_534, arrived: at(1.0) },
                PacketReport { sequence: 65_535, arrived: at(3.0) },
                PacketReport { sequence: 65_536, arrived: at(3.0) },
            ]
        );
    }

    #[test]
    fn a_lost_packet_is_reported_lost_and_takes_no_delta() {
        let feedback = TransportLayerCc {
            base_sequence_number: 100,
            packet_status_count: 4,
            packet_chunks: vec![PacketStatusChunk::StatusVectorChunk(StatusVectorChunk {
                type_tcc: StatusChunkTypeTcc::StatusVectorChunk,
                symbol_size: SymbolSizeTypeTcc::TwoBit,
                symbol_list: vec![
                    SymbolTypeTcc::PacketReceivedSmallDelta,
                    SymbolTypeTcc::PacketNotReceived,
                    SymbolTypeTcc::PacketReceivedLargeDelta,
                    SymbolTypeTcc::PacketReceivedSmallDelta,
                    // Padding symbols beyond the status count are not packets.
                    SymbolTypeTcc::PacketNotReceived,
                    SymbolTypeTcc::PacketNotReceived,
                    SymbolTypeTcc::PacketNotReceived,
                ],
            })],
            recv_deltas: vec![delta(4), delta(-4), delta(2)],
            ..Default::default()
        };
        let mut out = Vec::new();
        reports(&feedback, 103, &mut out);
        let arrived: Vec<_> = out.iter().map(|r| (r.sequence, r.arrived.map(|d| d.as_micros()))).collect();
        assert_eq!(arrived, vec![(100, Some(1000)), (101, None), (102, Some(0)), (103, Some(500))]);
    }

    #[test]
    fn feedback_with_fewer_deltas_than_it_claims_stops_where_they_end() {
        let feedback = TransportLayerCc {
            base_sequence_number: 1,
            packet_status_count: 5,
            packet_chunks: vec![PacketStatusChunk::RunLengthChunk(RunLengthChunk {
                type_tcc: StatusChunkTypeTcc::RunLengthChunk,
                packet_status_symbol: SymbolTypeTcc::PacketReceivedSmallDelta,
                run_length: 5,
            })],
            recv_deltas: vec![delta(1), delta(1)],
            ..Default::default()
        };
        let mut out = Vec::new();
        reports(&feedback, 5, &mut out);
        assert_eq!(out.len(), 2);
    }
}
