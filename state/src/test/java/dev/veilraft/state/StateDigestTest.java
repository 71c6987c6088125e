package dev.veilraft.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The multiset hash's arithmetic and the root record's encoding. */
class StateDigestTest {
  private static final BigInteger MODULUS = BigInteger.ONE.shiftLeft(256);

  private static BigInteger value(byte[] bytes) {
    return new BigInteger(1, bytes);
  }

  private static byte[] element(Random random) {
    byte[] bytes = new byte[StateDigest.BYTES];
    random.nextBytes(bytes);
    // Carries and borrows across every limb: all-ones and all-zeros limbs are the edge cases.
    int pattern = random.nextInt(4);
    if (pattern == 1) {
      Arrays.fill(bytes, 0, 24, (byte) 0xff);
    } else if (pattern == 2) {
      Arrays.fill(bytes, 8, 32, (byte) 0);
    }
    return bytes;
  }

  @Test
  void addAndRemoveAreSumAndDifferenceModTwoToThe256() {
    // Proves the limb arithmetic equals BigInteger arithmetic mod 2^256, carries and borrows included, for 20,000 random steps.
    Random random = new Random(11);
    StateDigest digest = StateDigest.empty();
    BigInteger expected = BigInteger.ZERO;
    for (int step = 0; step < 20_000; step++) {
      byte[] element = element(random);
      if (random.nextBoolean()) {
        digest.add(element);
        expected = expected.add(value(element)).mod(MODULUS);
      } else {
        digest.remove(element);
        expected = expected.subtract(value(element)).mod(MODULUS);
      }
      assertThat(value(digest.toBytes())).as("step %d", step).isEqualTo(expected);
    }
    byte[] max = new byte[StateDigest.BYTES];
    Arrays.fill(max, (byte) 0xff);
    StateDigest wrap = StateDigest.fromBytes(max);
    wrap.add(new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
    assertThat(wrap.toBytes()).isEqualTo(new byte[StateDigest.BYTES]);
  }

  @Test
  void theDigestOfAMultisetIgnoresOrderAndRemovalUndoesAddition() {
    // Proves two orders of the same records give the same digest, and removing what was added returns to empty.
    Random random = new Random(3);
    List<byte[]> elements = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      elements.add(element(random));
    }
    StateDigest forward = StateDigest.empty();
    elements.forEach(forward::add);
    List<byte[]> shuffled = new ArrayList<>(elements);
    Collections.shuffle(shuffled, random);
    StateDigest backward = StateDigest.empty();
    shuffled.forEach(backward::add);
    assertThat(forward.sameAs(backward)).isTrue();
    StateDigest copy = forward.copy();
    elements.forEach(forward::remove);
    assertThat(forward.sameAs(StateDigest.empty())).isTrue();
    assertThat(copy.sameAs(backward)).as("a copy is independent of its original").isTrue();
  }

  @Test
  void rootRoundTripsAndRefusesOtherLengthsAndVersions() {
    // Proves the root record's encoding round-trips and that a record of another length or version is refused by name.
    StateDigest digest = StateDigest.empty();
    digest.add(element(new Random(1)));
    StateRoot root = new StateRoot(42, 7, digest);
    StateRoot decoded = StateRoot.decode(root.encode());
    assertThat(decoded.matches(root)).isTrue();
    assertThat(decoded.matches(new StateRoot(42, 8, digest))).isFalse();
    assertThat(decoded.matches(new StateRoot(41, 7, digest))).isFalse();
    assertThat(decoded.matches(new StateRoot(42, 7, StateDigest.empty()))).isFalse();
    assertThatThrownBy(() -> StateRoot.decode(new byte[8]))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("state root record is 8 bytes");
    byte[] otherVersion = root.encode();
    otherVersion[0] = 2;
    assertThatThrownBy(() -> StateRoot.decode(otherVersion))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("state root version 2 is not supported");
  }
}
