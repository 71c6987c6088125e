package dev.veilraft.consensus.ratis;

import dev.veilraft.crypto.NodeIdentity;
import java.util.Set;
import java.util.function.Supplier;
import org.apache.ratis.grpc.GrpcTlsConfig;

/** Mutual TLS for every Raft RPC: this node's identity key, and trust in admitted members only. */
final class PeerTls {
  private PeerTls() {}

  static GrpcTlsConfig config(NodeIdentity identity, Supplier<Set<String>> admittedNodeIds) {
    return new GrpcTlsConfig(identity.keyManager(), new AdmittedPeersTrustManager(admittedNodeIds), true);
  }
}
