package dev.veilraft.crypto.seal;

import static dev.veilraft.crypto.seal.SessionSealingTest.CLUSTER;
import static dev.veilraft.crypto.seal.SessionSealingTest.EPOCH1;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.NeededInCi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Conscrypt's AES-256-GCM-SIV ({@link NativeGcmSiv}) gives exactly the Java implementation's bytes
 * and refusals, and session sealing runs on it where it loads. Needs Conscrypt's native library: it
 * ships one for Linux on x86-64 and AArch64 (and Windows), so outside CI on another platform these
 * tests are skipped with the reason, and in CI that is a failure.
 */
class NativeGcmSivTest {
  private final AesGcmSiv java = new AesGcmSiv(new JdkAesBlockCipher());
  private NativeGcmSiv cipher;

  @BeforeEach
  void requireNative() {
    if ("java".equals(System.getProperty(NativeGcmSiv.PROPERTY))) {
      Assumptions.assumeTrue(false, NativeGcmSiv.PROPERTY + "=java: this run tests the Java implementation");
    }
    if (!NativeGcmSiv.available()) {
      String message = "Conscrypt's native AES-GCM-SIV did not load on " + System.getProperty("os.name") + "/"
          + System.getProperty("os.arch") + " (see the log of NativeGcmSiv)";
      NeededInCi.missing(message, "CI must run this test");
    }
    cipher = NativeGcmSiv.get();
  }

  @AfterEach
  void runAsConfigured() {
    SessionSealing.javaOnThisThreadForTest(false);
    if (cipher != null) {
      NativeGcmSiv.useOnThisThreadForTest(cipher);
    }
  }

  @Test
  void sealsAndOpensRfc8452sVectorsIncludingTheCounterWrap() throws Exception {
    AesGcmSivTest.assertRfc8452Vectors(cipher);
  }

  @Test
  void givesTheJavaImplementationsBytesAtEverySizeAndOpensWhatItSeals() throws Exception {
    // Replicas and clients may run either implementation: every length from 0 to 300, around a kilobyte and large,
    // with AAD of several lengths, must seal to the same bytes and open either's output.
    AesGcmSivTest.forEverySize(new int[] {1023, 1024, 1025, 4096, 65_536, 70_000}, m -> {
      byte[] sealed = cipher.seal(m.key(), m.nonce(), m.aad(), m.plaintext());
      assertThat(sealed).as("size %d, aad %d", m.size(), m.aad().length)
          .isEqualTo(java.seal(m.key(), m.nonce(), m.aad(), m.plaintext()));
      assertThat(cipher.open(m.key(), m.nonce(), m.aad(), sealed)).as("size %d", m.size()).isEqualTo(m.plaintext());
      assertThat(java.open(m.key(), m.nonce(), m.aad(), sealed)).as("size %d", m.size()).isEqualTo(m.plaintext());
      assertThat(cipher.keyed()).as("no key kept past a message").isFalse();
    });
  }

  @Test
  void refusesWhatTheJavaImplementationRefusesWithTheSameMessagesAndKeepsNoKey() throws Exception {
    AesGcmSivTest.assertRefusals(cipher);
    assertThat(cipher.keyed()).as("no key kept past a refusal").isFalse();
  }

  @Test
  void aLocalFailureOfTheNativeCipherRunsTheMessageInJavaNeverReadingAsARefusal() throws Exception {
    // Proves a replica whose native cipher fails (not the message) judges a request as every other replica does:
    // the failure is Failed (never a tag refusal, which apply records as UNDECRYPTABLE_EVENT), and session sealing
    // then opens the same request in Java; a request that does not open is still refused.
    NativeGcmSiv broken = NativeGcmSiv.brokenForTest();
    assertThatThrownBy(() -> broken.seal(new byte[32], new byte[12], new byte[0], new byte[5]))
        .isInstanceOf(NativeGcmSiv.Failed.class);
    assertThatThrownBy(() -> broken.open(new byte[32], new byte[12], new byte[0], new byte[20]))
        .isInstanceOf(NativeGcmSiv.Failed.class);

    ClientSession client = ClientSession.start(EPOCH1.groupPublicKey(), CLUSTER, 1);
    var sealed = client.sealEvent(Hashes.utf8("opened in Java"));
    NativeGcmSiv.useOnThisThreadForTest(broken);
    assertThat(new SessionKeyCache().openEvent(EPOCH1, CLUSTER, sealed.request()).event())
        .isEqualTo(Hashes.utf8("opened in Java"));
    var tampered = sealed.request().toBuilder().setCiphertext(com.google.protobuf.ByteString.copyFrom(
        new byte[sealed.request().getCiphertext().size()])).build();
    assertThatThrownBy(() -> new SessionKeyCache().openEvent(EPOCH1, CLUSTER, tampered))
        .isInstanceOf(dev.veilraft.crypto.CryptoException.class).hasMessageContaining("does not open");
  }

  @Test
  void sessionSealingRunsNativelyAndAJavaThreadReadsTheSameBytes() throws Exception {
    // Proves the routing: natively, a session's seals and opens expand no key in this thread's Java AES; the same
    // request opens on a thread told to run Java, which expands keys, so both implementations really ran.
    JdkAesBlockCipher aes = SessionSealing.thisThreadsAes();
    long before = aes.expansions();
    ClientSession client = ClientSession.start(EPOCH1.groupPublicKey(), CLUSTER, 1);
    var sealed = client.sealEvent(Hashes.utf8("native"));
    assertThat(new SessionKeyCache().openEvent(EPOCH1, CLUSTER, sealed.request()).event())
        .isEqualTo(Hashes.utf8("native"));
    assertThat(aes.expansions()).as("no Java AES ran").isEqualTo(before);
    assertThat(NativeGcmSiv.get().keyed()).as("and no key is left in the native cipher").isFalse();

    SessionSealing.javaOnThisThreadForTest(true);
    assertThat(new SessionKeyCache().openEvent(EPOCH1, CLUSTER, sealed.request()).event())
        .isEqualTo(Hashes.utf8("native"));
    assertThat(aes.expansions()).as("the Java AES ran").isGreaterThan(before);
  }
}
