//! The agent's UDP endpoints: one `emitBatch` call per datagram, in Thrift
//! compact (6831) or binary (6832). A reader task puts datagrams on a
//! bounded queue served by `workers` tasks, as the Go receiver's UDP server
//! does. A datagram is dropped and counted when it is larger than
//! `max_packet_size`, when the queue is full, when it does not decode, or
//! when it is not `emitBatch`; UDP has no way to tell the sender.

use std::sync::Arc;

use bytes::Bytes;
use tokio::net::UdpSocket;
use tokio::sync::{Mutex, mpsc};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::config::UdpSettings;
use crate::ingest::{Ingest, Stats};
use crate::thrift_model::{AgentCall, decode_agent_call};
use crate::thrift_wire::Protocol;
use crate::translate;

pub(crate) async fn bind(u: &UdpSettings) -> Result<UdpSocket, String> {
    UdpSocket::bind(&u.endpoint)
        .await
        .map_err(|e| format!("cannot listen on udp {}: {e}", u.endpoint))
}

/// Starts the reader and the workers; they end when `stop` fires, after the
/// queued datagrams were handled.
pub(crate) fn serve(
    socket: UdpSocket,
    u: &UdpSettings,
    proto: Protocol,
    ingest: Ingest,
    stop: CancellationToken,
) -> Vec<JoinHandle<()>> {
    let (tx, rx) = mpsc::channel::<Bytes>(u.queue_size);
    let rx = Arc::new(Mutex::new(rx));
    let mut tasks = Vec::with_capacity(u.workers + 1);
    for _ in 0..u.workers {
        let rx = rx.clone();
        let ingest = ingest.clone();
        tasks.push(tokio::spawn(async move {
            loop {
                let packet = rx.lock().await.recv().await;
                let Some(packet) = packet else { break };
                handle(&ingest, proto, &packet).await;
            }
        }));
    }
    let max = u.max_packet_size;
    let stats = ingest.stats.clone();
    let receiver = ingest.receiver.clone();
    tasks.push(tokio::spawn(async move {
        // One byte more than allowed, so an oversized datagram shows.
        let mut buf = vec![0u8; max + 1];
        loop {
            let n = tokio::select! {
                _ = stop.cancelled() => break,
                r = socket.recv_from(&mut buf) => match r {
                    Ok((n, _)) => n,
                    Err(e) => {
                        tracing::debug!(receiver = %receiver, error = %e, "jaeger udp: receive failed");
                        continue;
                    }
                },
            };
            if n > max {
                Stats::count(&stats.dropped_packets);
                tracing::debug!(receiver = %receiver, max, "dropped a datagram over max_packet_size");
                continue;
            }
            if tx.try_send(Bytes::copy_from_slice(&buf[..n])).is_err() {
                Stats::count(&stats.dropped_packets);
                tracing::debug!(receiver = %receiver, "dropped a datagram: queue full");
            }
        }
    }));
    tasks
}

async fn handle(ingest: &Ingest, proto: Protocol, packet: &[u8]) {
    let batch = match decode_agent_call(packet, proto) {
        Ok(AgentCall::EmitBatch(Some(b))) => b,
        Ok(AgentCall::EmitBatch(None)) => return,
        Ok(AgentCall::Other(method)) => {
            Stats::count(&ingest.stats.dropped_packets);
            tracing::debug!(receiver = %ingest.receiver, method, "dropped a datagram: only emitBatch is served");
            return;
        }
        Err(e) => {
            Stats::count(&ingest.stats.dropped_packets);
            tracing::debug!(receiver = %ingest.receiver, error = %e, "dropped a malformed datagram");
            return;
        }
    };
    let (rs, _) = translate::from_thrift(batch);
    // Failures are counted and logged by consume; nobody to answer.
    let _ = ingest.consume(rs).await;
}
