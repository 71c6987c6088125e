package dev.veilraft.consensus.ratis;

import dev.veilraft.consensus.Answer;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;

/**
 * The reply Ratis gets for an applied entry: its {@link Answer}, sealed and encoded on first read
 * ({@link #getContent}). On a follower nobody reads it unless a retry after a change of leader
 * asks its retry cache. This node's own proposals get the same object back in Ratis' reply, so
 * {@link RaftConsensus} takes the answer from it without encoding and parsing it again.
 */
record AnswerMessage(Answer answer) implements Message {
  @Override
  public ByteString getContent() {
    return UnsafeByteOperations.unsafeWrap(answer.encoded());
  }

  /** Never seals or encodes: only the kind of reply (Ratis may log it). */
  @Override
  public String toString() {
    return "AnswerMessage";
  }
}
