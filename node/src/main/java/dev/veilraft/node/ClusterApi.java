package dev.veilraft.node;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.veilraft.client.ClusterDescriptions;
import dev.veilraft.client.EventBundler;
import dev.veilraft.client.proto.ApiError;
import dev.veilraft.client.proto.EventAnswer;
import dev.veilraft.client.proto.EventBundle;
import dev.veilraft.client.proto.EventBundleAnswers;
import dev.veilraft.client.proto.ClusterDescriptionBody;
import dev.veilraft.client.proto.MemberInfo;
import dev.veilraft.consensus.Limits;
import dev.veilraft.consensus.proto.ApplyResult;
import dev.veilraft.consensus.proto.Proposal;
import dev.veilraft.crypto.AliasedProtobuf;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.proto.SealedRequest;
import dev.veilraft.crypto.proto.SealedResponse;
import dev.veilraft.membership.MembershipView;
import dev.veilraft.membership.proto.MemberRecord;
import dev.veilraft.node.api.ApiException;
import dev.veilraft.node.api.ApiServer;
import dev.veilraft.node.verify.VerifyApi;
import dev.veilraft.apps.HttpAnswer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The client-facing routes: health, the signed cluster description, and sealed events. */
final class ClusterApi {
  private static final Logger LOG = LoggerFactory.getLogger(ClusterApi.class);
  static final int CLIENT_NONCE_BYTES_MIN = 16;
  static final int CLIENT_NONCE_BYTES_MAX = 64;

  private final VeilraftNode node;

  ClusterApi(VeilraftNode node) {
    this.node = node;
  }

  void register(ApiServer api) {
    api.route("GET", "/healthz", "text/plain; charset=utf-8", (body, query) -> Hashes.utf8("ok\n"));
    api.routeHttp("GET", "/readyz", (body, query) -> readiness());
    api.route("GET", "/v1/cluster", (body, query) -> describe(query));
    api.route("GET", "/v1/status", "application/json", (body, query) -> status());
    api.route("GET", "/v1/attestation", "application/json", (body, query) -> attestation(query));
    api.route("GET", "/metrics", "text/plain; version=0.0.4; charset=utf-8",
        (body, query) -> Hashes.utf8(node.metrics().scrape()));
    api.route("GET", OpenApi.PATH, OpenApi.CONTENT_TYPE, (body, query) -> OpenApi.document());
    new VerifyApi(() -> node.replica().view().initialized() ? node.replica().view().policy() : null,
        () -> node.clock().instant()).register(api);
    api.routeAsync("POST", "/v1/events", (body, query) -> event(body));
    api.routeAsync("POST", EventBundler.PATH, (body, query) -> bundle(body));
    api.routeAsync("POST", "/v1/queries", (body, query) -> query(body, query));
  }

  /**
   * 200 when this node can serve clients, else 503; both with a JSON body naming every unmet
   * condition ({@link Readiness}).
   */
  private HttpAnswer readiness() {
    Readiness readiness = Readiness.of(node);
    var root = JSON.createObjectNode();
    root.put("ready", readiness.ready());
    root.put("node_id", node.nodeId());
    root.put("applied_index", node.replica().appliedIndex());
    root.put("commit_index", node.consensus() == null ? -1 : node.consensus().commitIndex());
    root.put("apply_lag_entries_max", Readiness.APPLY_LAG_ENTRIES_MAX);
    var unmet = root.putArray("unmet");
    readiness.unmet().forEach(u -> unmet.addObject().put("condition", u.condition()).put("detail", u.detail()));
    return HttpAnswer.json(readiness.ready() ? 200 : 503, root.toPrettyString() + "\n");
  }

  private byte[] describe(String query) throws ApiException {
    byte[] nonce = nonce(query);
    MembershipView view = node.replica().view();
    if (!view.initialized() || view.epoch() == 0) {
      throw new ApiException(503, "NOT_READY", "this node has not applied a key epoch yet");
    }
    // A halted replica's view is behind the cluster's: describing it would send clients to an old
    // epoch or protocol version as if it were current.
    if (node.replica().halted().isPresent()) {
      throw new ApiException(503, "HALTED", "this replica stopped applying " + node.replica().halted().get());
    }
    ClusterDescriptionBody.Builder body = ClusterDescriptionBody.newBuilder()
        .setClusterId(ByteString.copyFrom(node.genesis().clusterId()))
        .setClusterName(node.genesis().genesis().getClusterName())
        .setEpoch(view.epoch())
        .setGroupPublicKey(ByteString.copyFrom(view.groupPublicKey()))
        .setServingNodeId(node.nodeId())
        .setClientNonce(ByteString.copyFrom(nonce))
        .setAppliedIndex(node.replica().appliedIndex())
        .setProtocolVersion((int) view.protocolVersion());
    for (MemberRecord m : view.members().values()) {
      body.addMembers(MemberInfo.newBuilder().setNodeId(m.getNodeId()).setIdentityCert(m.getIdentityCert())
          .setKemPublicKey(m.getKemPublicKey()).setEvidence(m.getEvidence()).setEvidenceNonce(m.getEvidenceNonce())
          .setApiAddress(m.getApiAddress()));
    }
    try {
      body.setFreshEvidence(node.attest(nonce));
    } catch (NodeException e) {
      throw new ApiException(503, e.code(), e.getMessage());
    }
    return ClusterDescriptions.sign(body.build(), node.keys().identity()).toByteArray();
  }

  /**
   * This node's evidence, fresh for the client's nonce, with the keys it binds, as JSON: the
   * identity certificate (the TLS key veilraft clients pin), the KEM key and, when the node
   * serves a CA-issued web certificate, that certificate's key. {@code binding} names the report
   * data formula: {@code veilraft/attest/v1} = ReportData.bind(nonce, identity, kem),
   * {@code veilraft/attest-web-tls/v1} = ReportData.bindWebTls(nonce, identity, kem, web key).
   */
  private byte[] attestation(String query) throws ApiException {
    byte[] nonce = nonce(query);
    var root = JSON.createObjectNode();
    root.put("node_id", node.nodeId());
    root.put("cluster_id", node.genesis().clusterIdHex());
    root.put("nonce", Hashes.hex(nonce));
    java.util.Base64.Encoder b64 = java.util.Base64.getEncoder();
    try {
      var evidence = node.attestForClient(nonce);
      root.put("platform", evidence.getPlatform().name());
      root.put("evidence", b64.encodeToString(evidence.toByteArray()));
    } catch (NodeException e) {
      throw new ApiException(503, e.code(), e.getMessage());
    }
    root.put("identity_certificate", b64.encodeToString(node.keys().identity().certificateDer()));
    root.put("kem_public_key", b64.encodeToString(node.keys().kem().publicKey()));
    node.webTlsSpki().ifPresentOrElse(spki -> {
      root.put("web_tls_public_key", b64.encodeToString(spki));
      root.put("binding", "veilraft/attest-web-tls/v1");
    }, () -> root.put("binding", "veilraft/attest/v1"));
    return bytes(root);
  }

  private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

  /**
   * What this node knows of the cluster, as JSON: epoch, beacon, every member with its role,
   * operator, platform, measurement and attestation status, pending and blocked removals, and
   * whether the diversity rule holds. Public information only; nothing here is secret, and sizes
   * that would trace the state's growth are coarse ({@link CoarseBytes}).
   */
  private byte[] status() throws ApiException {
    MembershipView view = node.replica().view();
    var root = JSON.createObjectNode();
    root.put("node_id", node.nodeId());
    root.put("applied_index", node.replica().appliedIndex());
    root.put("build_protocol_version_max", node.replica().protocolVersionMax());
    node.replica().halted().ifPresent(reason -> root.put("halted", reason));
    if (node.replica().haltedOnDiskFailure()) {
      // The disk refused a write or read: a restart once it is fixed resumes (a node process ends itself for that).
      root.put("halted_on_disk_failure", true);
    }
    if (node.consensus() != null) {
      // Also before this node is initialized: a joiner's first state often arrives as a snapshot.
      // Coarse (CoarseBytes): exact sizes over time would tell anyone how the state grows.
      node.consensus().snapshotTransfer().ifPresent(t -> root.put("snapshot_transfer_bytes",
          CoarseBytes.roundDown(t.bytesReceived())));
    }
    if (!view.initialized()) {
      root.put("initialized", false);
      return bytes(root);
    }
    root.put("initialized", true);
    root.put("cluster_id", node.genesis().clusterIdHex());
    root.put("cluster_name", node.genesis().genesis().getClusterName());
    root.put("epoch", view.epoch());
    root.put("protocol_version", view.protocolVersion());
    root.put("policy", view.policy().getName());
    root.put("leader", node.consensus() != null && node.consensus().isLeader());
    var raft = root.putObject("raft_configuration");
    java.util.Map<String, Long> peerCommits = java.util.Map.of();
    if (node.consensus() != null) {
      node.consensus().configurationRoles().forEach(raft::put);
      // For 'veilraft status': who leads, how far the log is committed, and how far each member lags.
      node.consensus().leaderId().ifPresent(id -> root.put("leader_id", id));
      root.put("raft_role", node.consensus().localRole());
      var progress = node.consensus().raftProgress();
      root.put("commit_index", progress.commitIndex());
      root.put("raft_applied_index", node.consensus().lastAppliedIndex());
      root.put("last_log_index", progress.lastLogIndex());
      peerCommits = progress.peerCommitIndexes();
      root.put("snapshots_installed", node.consensus().snapshotStatus().snapshotsInstalled());
      // What a joiner receives from this node as leader, so it can show its transfer's progress;
      // coarse and rounded up (CoarseBytes): exact sizes over time would tell anyone how the state grows.
      node.consensus().latestSnapshot().ifPresent(latest -> {
        root.put("latest_snapshot_index", latest.index());
        root.put("latest_snapshot_bytes", CoarseBytes.roundUp(latest.bytes()));
      });
    }
    // Only the leader hears every member's commit index; a follower's own view would read as "no lag".
    long commitIndex = node.consensus() != null && node.consensus().isLeader()
        ? peerCommits.getOrDefault(node.nodeId(), -1L) : -1L;
    root.put("beacon_sequence", view.beacon().getSequence());
    root.put("beacon_issued_at_ms", view.beacon().getIssuedAtMs());
    root.put("diversity_satisfied", dev.veilraft.membership.Roles.satisfied(view));
    var members = root.putArray("members");
    for (MemberRecord m : view.members().values()) {
      var o = members.addObject();
      o.put("node_id", m.getNodeId());
      o.put("operator", m.getOperator());
      o.put("role", m.getRole().name());
      o.put("platform", m.getPlatform().name());
      o.put("measurement", Hashes.hex(m.getMeasurement().toByteArray()));
      o.put("api_address", m.getApiAddress());
      o.put("admitted_index", m.getAdmittedIndex());
      o.put("attested_beacon", m.getAttestedBeacon());
      o.put("attested_at_ms", m.getAttestedAtMs());
      o.put("protocol_version_max", dev.veilraft.membership.ProtocolVersions.supportedBy(m));
      Long memberCommit = peerCommits.get(m.getNodeId());
      if (memberCommit != null) {
        o.put("commit_index", memberCommit);
        if (commitIndex >= 0) {
          o.put("lag_entries", Math.max(0, commitIndex - memberCommit));
        }
      }
      if (m.getEvictAfterMs() != 0) {
        o.put("evict_after_ms", m.getEvictAfterMs());
      }
      if (!m.getFailureCode().isEmpty()) {
        o.put("failure", m.getFailureCode() + ": " + m.getFailure());
      }
    }
    var pending = root.putArray("pending_removals");
    for (var p : view.pendingRemovals()) {
      pending.addObject().put("node_id", p.getNodeId()).put("reason", p.getReason().name()).put("detail", p.getDetail())
          .put("since_ms", p.getSinceMs()).put("blocked", dev.veilraft.membership.Removals.blocked(view, p));
    }
    var blocked = root.putArray("blocked_evictions");
    node.blockedEvictions().forEach(blocked::add);
    return bytes(root);
  }

  private static byte[] bytes(com.fasterxml.jackson.databind.JsonNode node) throws ApiException {
    try {
      return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(node);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new ApiException(500, "STATUS_FAILED", e.getMessage());
    }
  }

  private static byte[] nonce(String query) throws ApiException {
    String hex = query == null ? null : Arrays.stream(query.split("&")).filter(p -> p.startsWith("nonce="))
        .map(p -> p.substring("nonce=".length())).findFirst().orElse(null);
    if (hex == null) {
      throw new ApiException(400, "MISSING_NONCE", "query parameter 'nonce' (hex, " + CLIENT_NONCE_BYTES_MIN + "-"
          + CLIENT_NONCE_BYTES_MAX + " bytes) is required: evidence must be fresh for the client");
    }
    byte[] nonce;
    try {
      nonce = Hashes.unhex(hex);
    } catch (IllegalArgumentException e) {
      throw new ApiException(400, "BAD_NONCE", "query parameter 'nonce' is not hex");
    }
    if (nonce.length < CLIENT_NONCE_BYTES_MIN || nonce.length > CLIENT_NONCE_BYTES_MAX) {
      throw new ApiException(400, "BAD_NONCE", "query parameter 'nonce' is " + nonce.length + " bytes, expected "
          + CLIENT_NONCE_BYTES_MIN + "-" + CLIENT_NONCE_BYTES_MAX);
    }
    return nonce;
  }

  private CompletableFuture<byte[]> event(byte[] body) throws ApiException {
    return node.submitAsync(Proposal.newBuilder().setClientEvent(sealedRequest(body)).build())
        .handle(ClusterApi::eventResult).thenApply(SealedResponse::toByteArray);
  }

  private static SealedResponse eventResult(ApplyResult result, Throwable error) {
    // Unconfirmed, not refused: the entry may have committed after the wait ended. Resending under the same client
    // id and sequence is safe (exactly-once admission answers a retry with the first result).
    return answer(result, error, "event's commit was not confirmed (it may still apply; resend with the same "
        + "client id and sequence)");
  }

  /**
   * Several sealed events of one HTTP request ({@link EventBundle}), each checked, proposed and
   * answered as {@link #event} would (one event's refusal is its own answer, not the bundle's);
   * answered with every event's answer once all have one. Only a bundle that cannot be read,
   * carries unknown fields, is empty or holds more than {@link EventBundler#EVENTS_MAX} events is
   * refused whole (and, before this runs, one over the API's body limit).
   */
  private CompletableFuture<byte[]> bundle(byte[] body) throws ApiException {
    EventBundle bundle;
    try {
      // Copied, not aliased (unlike a lone event's body): a view of one accepted event would keep the whole
      // body alive while the event waits in the grouper, which charges its queue only the event's own size.
      bundle = EventBundle.parseFrom(body);
    } catch (InvalidProtocolBufferException e) {
      throw new ApiException(400, "MALFORMED_REQUEST", "body is not an EventBundle protobuf: " + e.getMessage());
    }
    if (!bundle.getUnknownFields().asMap().isEmpty()) {
      throw new ApiException(400, "UNKNOWN_FIELDS", "event bundle carries field number(s) "
          + bundle.getUnknownFields().asMap().keySet() + " that this build does not know");
    }
    int count = bundle.getEventsCount();
    if (count == 0) {
      throw new ApiException(400, "EMPTY_BUNDLE", "event bundle holds no events");
    }
    if (count > EventBundler.EVENTS_MAX) {
      throw new ApiException(413, "BUNDLE_TOO_LARGE", "event bundle holds " + count + " events, more than "
          + EventBundler.EVENTS_MAX);
    }
    // Every event is checked first; those that pass are queued together, so they can share a log entry.
    List<CompletableFuture<SealedResponse>> refusals = new ArrayList<>(count);
    List<SealedRequest> accepted = new ArrayList<>(count);
    for (SealedRequest event : bundle.getEventsList()) {
      try {
        checkSealedRequest(event, event.getSerializedSize());
        accepted.add(event);
        refusals.add(null);
      } catch (ApiException e) {
        refusals.add(CompletableFuture.failedFuture(e));
      }
    }
    List<CompletableFuture<ApplyResult>> submitted = node.submitEventsAsync(accepted);
    List<CompletableFuture<EventAnswer>> answers = new ArrayList<>(count);
    int next = 0;
    for (CompletableFuture<SealedResponse> refusal : refusals) {
      CompletableFuture<SealedResponse> answer = refusal != null ? refusal
          : submitted.get(next++).handle(ClusterApi::eventResult);
      answers.add(answer.handle(ClusterApi::eventAnswer));
    }
    return CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new)).thenApply(done -> {
      EventBundleAnswers.Builder all = EventBundleAnswers.newBuilder();
      answers.forEach(answer -> all.addAnswers(answer.join()));
      return all.build().toByteArray();
    });
  }

  /** One event's answer inside a bundle: what {@code POST /v1/events} would have answered, without the status. */
  private static EventAnswer eventAnswer(SealedResponse response, Throwable error) {
    if (error == null) {
      return EventAnswer.newBuilder().setSealedResponse(response).build();
    }
    Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    ApiError.Builder refusal = ApiError.newBuilder();
    if (cause instanceof ApiException api) {
      refusal.setCode(api.code()).setMessage(api.getMessage());
    } else {
      LOG.warn("internal error on an event of {}: {}", EventBundler.PATH, cause.toString());
      refusal.setCode("INTERNAL").setMessage("internal error: " + cause.getClass().getSimpleName());
    }
    return EventAnswer.newBuilder().setError(refusal).build();
  }

  /** A read-only query: linearizable by default, {@code ?consistency=stale} for a local read. */
  private CompletableFuture<byte[]> query(byte[] body, String queryString) throws ApiException {
    boolean stale;
    if (queryString == null || queryString.isEmpty() || queryString.equals("consistency=linearizable")) {
      stale = false;
    } else if (queryString.equals("consistency=stale")) {
      stale = true;
    } else {
      throw new ApiException(400, "BAD_CONSISTENCY", "query parameters must be consistency=linearizable (the "
          + "default) or consistency=stale");
    }
    sealedRequest(body);
    return node.queryAsync(body, stale).handle((result, error) -> answer(result, error, "query was not answered"))
        .thenApply(SealedResponse::toByteArray);
  }

  private SealedRequest sealedRequest(byte[] body) throws ApiException {
    checkSealedRequestSize(body.length);
    SealedRequest request;
    try {
      // Parsed without copying: the request's bytes are views of the body, which nothing changes. The grouper
      // charges its queue the request's encoded size, so a body that is more than that (a field repeated, the
      // last one kept; a varint written long) is copied instead of kept whole by a view.
      request = AliasedProtobuf.parse(SealedRequest.parser(), body);
      if (request.getSerializedSize() != body.length) {
        request = SealedRequest.parseFrom(body);
      }
    } catch (InvalidProtocolBufferException e) {
      throw new ApiException(400, "MALFORMED_REQUEST", "body is not a SealedRequest protobuf: " + e.getMessage());
    }
    checkSealedRequest(request, body.length);
    return request;
  }

  private void checkSealedRequestSize(int bytes) throws ApiException {
    int max = Limits.sealedRequestBytesMax(node.genesis().eventBytesMax());
    if (bytes > max + 256) {
      throw new ApiException(413, "EVENT_TOO_LARGE", "sealed request is " + bytes + " bytes, more than "
          + max + " (limits.event_bytes_max " + node.genesis().eventBytesMax() + " plus sealing overhead)");
    }
  }

  /** The checks of a parsed sealed request before it is proposed: size, no unknown fields, this cluster, this epoch. */
  private void checkSealedRequest(SealedRequest request, int bytes) throws ApiException {
    checkSealedRequestSize(bytes);
    if (!request.getUnknownFields().asMap().isEmpty()) {
      // The request goes into this member's proposal as is; an unknown field there would be refused
      // by the leader (or, past a faulty leader, stop every replica), so it is refused here first.
      throw new ApiException(400, "UNKNOWN_FIELDS", "sealed request carries field number(s) "
          + request.getUnknownFields().asMap().keySet() + " that this build (protocol versions up to "
          + node.replica().protocolVersionMax() + ") does not know; seal the request in the form of the cluster's active protocol version "
          + "(GET /v1/cluster, protocol_version)");
    }
    if (!Arrays.equals(request.getClusterId().toByteArray(), node.genesis().clusterId())) {
      throw new ApiException(400, "WRONG_CLUSTER", "request is sealed to cluster "
          + Hashes.shortHex(request.getClusterId().toByteArray(), 8) + ", this node serves "
          + Hashes.shortHex(node.genesis().clusterId(), 8));
    }
    long epoch = node.replica().view().epoch();
    if (request.getEpoch() != epoch) {
      // The replicated check repeats this at apply; refusing early keeps stale requests out of the log.
      throw new ApiException(409, "UNKNOWN_EPOCH", "request is sealed to epoch " + request.getEpoch()
          + ", the current epoch is " + epoch + "; fetch /v1/cluster and seal again");
    }
  }

  private static SealedResponse answer(ApplyResult result, Throwable error, String failure) {
    Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    if (cause instanceof dev.veilraft.consensus.EventGrouper.BusyException busy) {
      // Nothing was proposed: the node's queue of events waiting for a log entry is full.
      throw new CompletionException(new ApiException(503, "NODE_BUSY", busy.getMessage()));
    }
    if (error != null) {
      throw new CompletionException(new ApiException(503, "COMMIT_FAILED", failure + ": "
          + (error instanceof CompletionException && error.getCause() != null ? error.getCause() : error)));
    }
    if (result.hasError()) {
      // GROUP_ANSWERS_FULL: committed in a group whose earlier answers were too large, not applied; send again.
      int status = switch (result.getError().getCode()) {
        case "UNKNOWN_EPOCH" -> 409;
        case "GROUP_ANSWERS_FULL" -> 503;
        default -> 422;
      };
      throw new CompletionException(new ApiException(status, result.getError().getCode(), result.getError().getMessage()));
    }
    return result.getSealedResponse();
  }
}
