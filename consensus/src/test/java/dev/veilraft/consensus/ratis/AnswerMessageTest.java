package dev.veilraft.consensus.ratis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veilraft.consensus.Answer;
import dev.veilraft.consensus.proto.ApplyResult;
import dev.veilraft.consensus.proto.EntryError;
import dev.veilraft.crypto.Hashes;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

/** The reply message the state machine hands Ratis ({@link AnswerMessage}). */
class AnswerMessageTest {
  private static final byte[] KEY = Hashes.sha256(Hashes.utf8("answer-message-test/key"));

  private static Answer group() {
    return Answer.group(List.of(Answer.sealedWhenRead(() -> KEY, 2, 40, 0, Hashes.utf8("first")),
        Answer.sealedWhenRead(() -> KEY, 2, 40, 1, Hashes.utf8("second"))));
  }

  @Test
  void itsContentIsTheEncodedSealedAnswerAndItKeepsOnlyThoseBytesOnceRead() throws Exception {
    // Proves the bytes a retry-cache reply carries are the sealed answer's encoding (what the eager path sent),
    // that logging the message seals nothing, and that once encoded the message keeps the bytes, not the answer.
    ApplyResult expected = group().result();
    Answer answer = group();
    AnswerMessage message = new AnswerMessage(answer);
    assertThat(message.toString()).isEqualTo("AnswerMessage");
    assertThat(answer.sealed()).isFalse();
    assertThat(message.answer()).isSameAs(answer);

    byte[] content = message.getContent().toByteArray();
    assertThat(content).isEqualTo(expected.toByteArray());
    assertThat(ApplyResult.parseFrom(content)).isEqualTo(expected);
    assertThat(message.answer()).as("the answer is dropped once encoded").isNull();
    assertThat(message.getContent().toByteArray()).isEqualTo(content);
    assertThat(message.size()).isEqualTo(content.length);
  }

  @Test
  void aReleasedAnswerKeepsNothingAndAnswersAnErrorIfReadAfterAll() throws Exception {
    // Proves release drops the unsealed answer (plaintext and key source) and any encoding, so the retry
    // cache's entry holds an empty message; should a request read it anyway, it gets ANSWER_RELEASED, not a
    // stale or empty reply.
    AnswerMessage unread = new AnswerMessage(group());
    unread.release();
    assertThat(unread.released()).isTrue();
    assertThat(unread.answer()).isNull();
    ApplyResult sent = ApplyResult.parseFrom(unread.getContent().toByteArray());
    assertThat(sent.getError().getCode()).isEqualTo("ANSWER_RELEASED");

    // Its proposer, should it read one (a faulty leader named a call never replied to), fails the call as
    // unconfirmed instead of handing the group's callers a group-level error that says nothing applied.
    assertThatThrownBy(() -> RaftConsensus.notReleased(sent)).isInstanceOf(CompletionException.class)
        .hasRootCauseInstanceOf(IOException.class).hasRootCauseMessage(
            "ANSWER_RELEASED: the member that answered had released this entry's answer, so whether and how it "
                + "applied is not known here; send the events again");
    ApplyResult refused = ApplyResult.newBuilder().setError(EntryError.newBuilder().setCode("GROUP_TOO_LARGE")).build();
    assertThat(RaftConsensus.notReleased(refused)).isSameAs(refused);

    AnswerMessage read = new AnswerMessage(group());
    read.getContent();
    read.release();
    assertThat(ApplyResult.parseFrom(read.getContent().toByteArray()).getError().getCode()).isEqualTo("ANSWER_RELEASED");
  }

  @Test
  void anAnswerThatCannotBeSealedIsEncodedAsAnErrorNotThrownOnRatisThread() throws Exception {
    // Proves a gRPC thread encoding a reply whose sealing fails (a bug) sends ANSWER_UNSEALABLE instead of
    // throwing, which would close the proposer's whole stream.
    AnswerMessage broken = new AnswerMessage(Answer.sealedWhenRead(() -> new byte[3], 2, 41, 0, new byte[1]));
    ApplyResult sent = ApplyResult.parseFrom(broken.getContent().toByteArray());
    assertThat(sent.getError().getCode()).isEqualTo("ANSWER_UNSEALABLE");
  }
}
