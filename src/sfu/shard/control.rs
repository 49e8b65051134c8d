//! The loop's control plane: the commands that make, negotiate and close connections and that
//! start and stop forwarding. None of this runs per packet.

use super::*;

impl Loop {
    pub(super) fn command(&mut self, command: Command) {
        let now = Instant::now();
        match command {
            Command::Open { role, owner, events, reply } => {
                let _ = reply.send(self.open(now, role, owner, events));
            }
            Command::PublishOffer { conn, sdp, reply } => {
                let _ = reply.send(self.publish_offer(now, conn, sdp));
            }
            Command::Forward { subscriber, track, reply } => {
                let _ = reply.send(self.add_forward(subscriber, track));
            }
            Command::StopForward { subscriber, track, reply } => {
                let _ = reply.send(self.stop_forward(subscriber, track));
            }
            Command::Offer { conn, reply } => {
                let _ = reply.send(self.offer(now, conn));
            }
            Command::Answer { conn, sdp, reply } => {
                let _ = reply.send(self.apply_answer(now, conn, sdp));
            }
            Command::Close { conn, reply } => {
                self.close(conn);
                let _ = reply.send(());
            }
            Command::Counts { reply } => {
                let _ = reply.send(ShardCounts {
                    connections: self.conns.len(),
                    addresses: self.routes.addresses(),
                    tracks: self.tracks.len(),
                    forwards: self.tracks.values().map(|t| t.forwards.len()).sum(),
                    timers: self.timers.len() + self.keyframe_timers.len(),
                    forwarded: self.forwarded,
                    datagrams_in: self.datagrams_in,
                    unrouted: self.unrouted,
                    datagrams_out: self.datagrams_out,
                    send_calls: self.send_calls,
                    early: self.early,
                    timer_runs: self.timer_runs,
                    cpu_ns: thread_cpu_ns(),
                });
            }
        }
    }

    fn open(
        &mut self,
        now: Instant,
        role: Pc,
        owner: Owner,
        events: mpsc::UnboundedSender<ShardEvent>,
    ) -> Result<(ConnId, EstimateHandle), SfuError> {
        let initial = self.engine.recall_estimate(owner.participant);
        let (media, interceptors, estimate, listener_loss) =
            media_engine_and_interceptors(role, Side::Server, initial, Nack::Application)?;
        let ufrag = random_token(16);
        let settings =
            self.engine.setting_builder(Side::Server).with_ice_credentials(ufrag.clone(), random_token(32)).build();
        let mut pc = RTCPeerConnectionBuilder::new()
            .with_configuration(RTCConfigurationBuilder::new().build())
            .with_media_engine(media)
            .with_interceptor_registry(interceptors)
            .with_setting_engine(settings)
            .build(now)?;
        let candidate = CandidateHostConfig {
            base_config: CandidateConfig {
                network: "udp".to_owned(),
                address: self.local.ip().to_string(),
                port: self.local.port(),
                component: 1,
                ..Default::default()
            },
            ..Default::default()
        }
        .new_candidate_host()?;
        pc.add_local_candidate(RTCIceCandidate::from(&candidate).to_json()?)?;
        let id = self.next_conn;
        self.next_conn += 1;
        self.routes.add(id, ufrag);
        HOSTED.fetch_add(1, Ordering::SeqCst);
        self.conns.insert(
            id,
            Conn {
                pc,
                role,
                owner,
                events,
                described: false,
                early: Vec::new(),
                connected: false,
                scheduled: None,
                touched: false,
                received: HashMap::new(),
                listener_loss,
                slots: Vec::new(),
                offered: Vec::new(),
            },
        );
        self.touch(id);
        Ok((id, estimate))
    }

    fn conn(&mut self, id: ConnId, role: Pc) -> Result<&mut Conn, SfuError> {
        conn_of(&mut self.conns, id, role)
    }

    fn publish_offer(&mut self, now: Instant, id: ConnId, sdp: String) -> Result<String, SfuError> {
        let conn = self.conn(id, Pc::Publish)?;
        let offer = RTCSessionDescription::offer(sdp).map_err(SfuError::invalid_sdp)?;
        conn.pc.set_remote_description(now, offer).map_err(SfuError::invalid_sdp)?;
        let answer = conn.pc.create_answer(None)?;
        conn.pc.set_local_description(now, answer.clone())?;
        let sdp = conn.pc.local_description().map_or(answer.sdp, |d| d.sdp);
        self.described(now, id);
        Ok(self.engine.announce_sdp(&sdp))
    }

    /// The remote description is applied: what arrived before it is handled now.
    fn described(&mut self, now: Instant, id: ConnId) {
        let Some(conn) = self.conns.get_mut(&id) else { return };
        conn.described = true;
        self.early += conn.early.len() as u64;
        for (from, datagram) in std::mem::take(&mut conn.early) {
            self.feed(now, id, from, datagram);
        }
        self.touch(id);
    }

    fn add_forward(&mut self, id: ConnId, track: TrackId) -> Result<Option<Carried>, SfuError> {
        let state =
            self.tracks.get(&track).map(|t| t.state.clone()).ok_or(SfuError::OutOfOrder("the track has ended"))?;
        let (kind, owner) = (state.kind, state.owner);
        let conn = self.conn(id, Pc::Subscribe)?;
        if conn.slots.iter().any(|slot| slot.carries.is_some_and(|(t, _)| t == track)) {
            return Ok(None);
        }
        // The browser groups a publisher's audio and video by this stream id.
        let stream = owner.to_string();
        if let Some(slot) = conn.slots.iter_mut().find(|slot| slot.kind == kind && slot.carries.is_none()) {
            // A free slot of the kind: the next track continues its numbering.
            slot.carries = Some((track, false));
            slot.continuity.restart();
            if let Some(video) = &slot.video {
                video.restart();
            }
            let (transceiver, sender) = (slot.transceiver, slot.sender);
            if let Some(mut transceiver) = conn.pc.rtp_transceiver(transceiver) {
                transceiver.set_direction(RTCRtpTransceiverDirection::Sendonly);
            }
            if let Some(mut sender) = conn.pc.rtp_sender(sender) {
                sender.set_streams(vec![stream]);
            }
            return Ok(Some(Carried { state, video: slot.video.clone() }));
        }
        let ssrc = loop {
            let candidate: u32 = rand::random();
            if candidate != 0 && conn.slots.iter().all(|slot| slot.ssrc != candidate) {
                break candidate;
            }
        };
        let (codec, codec_kind) = match kind {
            MediaKind::Audio => (opus(), RtpCodecKind::Audio),
            MediaKind::Video => (vp8(), RtpCodecKind::Video),
        };
        let encoding = RTCRtpEncodingParameters {
            rtp_coding_parameters: RTCRtpCodingParameters { ssrc: Some(ssrc), ..Default::default() },
            codec,
            ..Default::default()
        };
        let local_id = format!("slot-{}", conn.slots.len());
        let out = MediaStreamTrack::new(stream, local_id.clone(), local_id.clone(), codec_kind, vec![encoding]);
        let init = RTCRtpTransceiverInit { direction: RTCRtpTransceiverDirection::Sendonly, ..Default::default() };
        let transceiver = conn.pc.add_transceiver_from_track(out, Some(init))?;
        let sender = conn
            .pc
            .rtp_transceiver(transceiver)
            .and_then(|t| t.sender())
            .ok_or(SfuError::Internal("a new transceiver without a sender".into()))?;
        let video = (kind == MediaKind::Video).then(|| Arc::new(VideoSlot::default()));
        conn.slots.push(Slot {
            kind,
            transceiver,
            sender,
            ssrc,
            local_id,
            payload_type: None,
            continuity: Continuity::default(),
            video: video.clone(),
            carries: Some((track, false)),
            history: History::default(),
        });
        Ok(Some(Carried { state, video }))
    }

    /// Stops sending `track` on a subscribe connection; its slot turns inactive until the next
    /// track of its kind takes it. The next offer tells the browser.
    fn stop_forward(&mut self, id: ConnId, track: TrackId) -> Result<bool, SfuError> {
        let conn = self.conn(id, Pc::Subscribe)?;
        let Some(index) = conn.slots.iter().position(|slot| slot.carries.is_some_and(|(t, _)| t == track)) else {
            return Ok(false);
        };
        conn.slots[index].carries = None;
        let transceiver = conn.slots[index].transceiver;
        if let Some(mut transceiver) = conn.pc.rtp_transceiver(transceiver) {
            transceiver.set_direction(RTCRtpTransceiverDirection::Inactive);
        }
        if let Some(published) = self.tracks.get_mut(&track) {
            published.forwards.retain(|&forward| forward != (id, index));
        }
        Ok(true)
    }

    fn offer(&mut self, now: Instant, id: ConnId) -> Result<(String, Vec<TrackInfo>), SfuError> {
        let conn = conn_of(&mut self.conns, id, Pc::Subscribe)?;
        let offer = conn.pc.create_offer(None)?;
        conn.pc.set_local_description(now, offer.clone())?;
        let sdp = conn.pc.local_description().map_or(offer.sdp, |d| d.sdp);
        let mut tracks = Vec::new();
        for slot in &conn.slots {
            let Some((track, _)) = slot.carries else { continue };
            let Some(published) = self.tracks.get(&track) else { continue };
            if let Some(transceiver) = conn.pc.rtp_transceiver(slot.transceiver)
                && let Some(mid) = transceiver.mid().clone()
            {
                tracks.push(TrackInfo { mid, participant_id: published.state.owner, kind: published.state.kind });
            }
        }
        conn.offered = conn
            .slots
            .iter()
            .enumerate()
            .filter_map(|(i, slot)| match slot.carries {
                Some((track, false)) => Some((i, track)),
                _ => None,
            })
            .collect();
        self.touch(id);
        Ok((self.engine.announce_sdp(&sdp), tracks))
    }

    fn apply_answer(&mut self, now: Instant, id: ConnId, sdp: String) -> Result<(), SfuError> {
        let conn = self.conn(id, Pc::Subscribe)?;
        let answer = RTCSessionDescription::answer(sdp).map_err(SfuError::invalid_sdp)?;
        conn.pc.set_remote_description(now, answer).map_err(SfuError::invalid_sdp)?;
        let mut started = Vec::new();
        for (index, track) in std::mem::take(&mut conn.offered) {
            // A slot whose track changed after the offer waits for the next one.
            if conn.slots[index].carries != Some((track, false)) {
                continue;
            }
            if conn.slots[index].payload_type.is_none() {
                let sender = conn.slots[index].sender;
                conn.slots[index].payload_type = conn
                    .pc
                    .rtp_sender(sender)
                    .and_then(|mut s| s.get_parameters().rtp_parameters.codecs.first().map(|c| c.payload_type));
            }
            if conn.slots[index].payload_type.is_none() {
                tracing::warn!(conn = id, track, "no codec negotiated for a forwarded track");
                continue;
            }
            conn.slots[index].carries = Some((track, true));
            started.push((index, track));
        }
        let connected = conn.connected;
        let started: Vec<(usize, TrackId, u8)> = started
            .into_iter()
            .map(|(index, track)| (index, track, VideoSlot::keyframe_layers(conn.slots[index].video.as_deref())))
            .collect();
        for (index, track, layers) in started {
            match self.tracks.get_mut(&track) {
                Some(published) => published.forwards.push((id, index)),
                None => continue,
            }
            if connected {
                self.request_keyframe(now, track, layers);
            }
        }
        self.described(now, id);
        Ok(())
    }

    fn close(&mut self, id: ConnId) {
        let Some(mut conn) = self.conns.remove(&id) else { return };
        HOSTED.fetch_sub(1, Ordering::SeqCst);
        if let Err(e) = conn.pc.close() {
            tracing::debug!(conn = id, error = %e, "closing a media loop connection");
        }
        // What the close itself sends (DTLS close_notify) still goes out.
        while let Some(write) = conn.pc.poll_write() {
            self.outgoing.push((write.transport.peer_addr, write.message));
        }
        if let Some(at) = conn.scheduled {
            self.timers.remove(&(at, id));
        }
        self.routes.remove(id);
        self.touched.retain(|&t| t != id);
        for &track in conn.received.values() {
            let Some(published) = self.tracks.remove(&track) else { continue };
            published.state.end();
            if let Some(due) = published.keyframes.due {
                self.keyframe_timers.remove(&(due, track));
            }
            self.levels.lock().expect("the level map's lock is never held across a panic").remove(&track);
            let _ = conn.events.send(ShardEvent::Ended { conn: id, track });
            // Its subscribers' slots are free for the next track; their owners offer again.
            for (subscriber, _) in published.forwards {
                let _ = self.stop_forward(subscriber, track);
                if let Some(subscriber_conn) = self.conns.get(&subscriber) {
                    let _ = subscriber_conn.events.send(ShardEvent::NegotiationNeeded { conn: subscriber });
                }
            }
        }
        for published in self.tracks.values_mut() {
            published.forwards.retain(|&(subscriber, _)| subscriber != id);
        }
    }
}

/// Connection `id`, if it has `role`.
fn conn_of(conns: &mut HashMap<ConnId, Conn>, id: ConnId, role: Pc) -> Result<&mut Conn, SfuError> {
    match conns.get_mut(&id) {
        Some(conn) if conn.role == role => Ok(conn),
        Some(_) => Err(SfuError::OutOfOrder("the connection has the other role")),
        None => Err(SfuError::Closed),
    }
}
