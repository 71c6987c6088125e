package dev.veilraft.consensus.ratis;

import java.nio.ByteBuffer;
import java.util.UUID;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;

/** Mapping of veilraft identities to Ratis ids: group id from the cluster id, peer id = node id. */
final class RaftIds {
  private RaftIds() {}

  static RaftGroupId groupId(byte[] clusterId) {
    ByteBuffer buffer = ByteBuffer.wrap(clusterId, 0, 16);
    return RaftGroupId.valueOf(new UUID(buffer.getLong(), buffer.getLong()));
  }

  static RaftPeer peer(String nodeId, String raftAddress) {
    return RaftPeer.newBuilder().setId(RaftPeerId.valueOf(nodeId)).setAddress(raftAddress).build();
  }
}
