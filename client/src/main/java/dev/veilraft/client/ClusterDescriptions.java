package dev.veilraft.client;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.veilraft.client.proto.ClusterDescription;
import dev.veilraft.client.proto.ClusterDescriptionBody;
import dev.veilraft.client.proto.MemberInfo;
import dev.veilraft.crypto.Certificates;
import dev.veilraft.crypto.CryptoException;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.NodeIdentity;
import dev.veilraft.crypto.attestation.AttestationResult;
import dev.veilraft.crypto.attestation.EvidenceVerifier;
import dev.veilraft.crypto.attestation.ReportData;
import dev.veilraft.crypto.proto.Policy;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/** Signing (node side) and verification (client side) of a cluster description. */
public final class ClusterDescriptions {
  private static final byte[] LABEL = Hashes.utf8("veilraft/cluster-description/v1");

  private ClusterDescriptions() {}

  public static ClusterDescription sign(ClusterDescriptionBody body, NodeIdentity servingNode) {
    byte[] bytes = body.toByteArray();
    return ClusterDescription.newBuilder().setBody(ByteString.copyFrom(bytes))
        .setSignature(ByteString.copyFrom(servingNode.sign(Hashes.concat(LABEL, bytes)))).build();
  }

  /** A description whose every member passed the client's policy. */
  public record Verified(ClusterDescriptionBody body, Map<String, AttestationResult> members) {
    public byte[] clusterId() {
      return body.getClusterId().toByteArray();
    }
  }

  /**
   * Verifies a description: the serving node signed it, its TLS key is its identity key, its
   * evidence is fresh for our nonce, and every member's evidence meets the client's own policy.
   */
  public static Verified verify(byte[] descriptionBytes, byte[] clientNonce, X509Certificate tlsPeer,
      byte[] expectedClusterId, Policy policy, EvidenceVerifier verifier, Instant now) throws ClientException {
    ClusterDescriptionBody body;
    ClusterDescription description;
    try {
      description = ClusterDescription.parseFrom(descriptionBytes);
      body = ClusterDescriptionBody.parseFrom(description.getBody());
    } catch (InvalidProtocolBufferException e) {
      throw new ClientException("MALFORMED_DESCRIPTION", "cluster description does not parse: " + e.getMessage());
    }
    if (expectedClusterId != null && !MessageDigest.isEqual(expectedClusterId, body.getClusterId().toByteArray())) {
      throw new ClientException("WRONG_CLUSTER", "node serves cluster " + Hashes.shortHex(body.getClusterId().toByteArray(), 8));
    }
    MemberInfo serving = body.getMembersList().stream().filter(m -> m.getNodeId().equals(body.getServingNodeId()))
        .findFirst().orElseThrow(() -> new ClientException("UNKNOWN_SERVER",
            "serving node " + body.getServingNodeId() + " is not among the members it lists"));
    X509Certificate servingCert = parse(serving);
    if (!NodeIdentity.verify(servingCert.getPublicKey(), Hashes.concat(LABEL, description.getBody().toByteArray()),
        description.getSignature().toByteArray())) {
      throw new ClientException("BAD_SIGNATURE", "cluster description is not signed by node " + serving.getNodeId());
    }
    if (tlsPeer != null && !Certificates.nodeId(tlsPeer).equals(serving.getNodeId())) {
      throw new ClientException("TLS_KEY_MISMATCH", "TLS peer " + Certificates.nodeId(tlsPeer)
          + " is not the node that signed the description (" + serving.getNodeId() + ")");
    }
    if (!MessageDigest.isEqual(clientNonce, body.getClientNonce().toByteArray())) {
      throw new ClientException("STALE_DESCRIPTION", "description answers another nonce (replayed)");
    }
    AttestationResult fresh = verifier.verify(body.getFreshEvidence(), policy,
        ReportData.bind(clientNonce, servingCert.getPublicKey().getEncoded(), serving.getKemPublicKey().toByteArray()), now);
    if (!fresh.accepted()) {
      throw new ClientException(fresh.reason().name(), "serving node " + serving.getNodeId() + ": " + fresh.detail());
    }
    Map<String, AttestationResult> results = new LinkedHashMap<>();
    for (MemberInfo member : body.getMembersList()) {
      X509Certificate cert = parse(member);
      AttestationResult result = verifier.verify(member.getEvidence(), policy, ReportData.bind(
          member.getEvidenceNonce().toByteArray(), cert.getPublicKey().getEncoded(), member.getKemPublicKey().toByteArray()), now);
      if (!result.accepted()) {
        throw new ClientException(result.reason().name(), "member " + member.getNodeId() + ": " + result.detail());
      }
      results.put(member.getNodeId(), result);
    }
    if (body.getEpoch() < 1 || body.getGroupPublicKey().size() != 32) {
      throw new ClientException("NO_GROUP_KEY", "cluster has no key epoch yet");
    }
    return new Verified(body, results);
  }

  private static X509Certificate parse(MemberInfo member) throws ClientException {
    try {
      X509Certificate cert = Certificates.parse(member.getIdentityCert().toByteArray(), "member " + member.getNodeId());
      if (!Certificates.nodeId(cert).equals(member.getNodeId())) {
        throw new ClientException("MALFORMED_DESCRIPTION", "member " + member.getNodeId() + " lists another node's certificate");
      }
      return cert;
    } catch (CryptoException e) {
      throw new ClientException("MALFORMED_DESCRIPTION", e.getMessage());
    }
  }
}
