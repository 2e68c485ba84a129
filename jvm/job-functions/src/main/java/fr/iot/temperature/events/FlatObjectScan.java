package fr.iot.temperature.events;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One pass over the bytes of a message that lists the members of a top-level JSON object, for
 * the shape sensors send: a flat object of plain ASCII keys, strings without escapes, numbers,
 * {@code true}, {@code false} and {@code null}.
 *
 * <p>It answers only when it is sure what a full JSON parser would say; anything else
 * (escapes, non-ASCII bytes, nested values, a token it does not know, more than
 * {@link #MAX_MEMBERS} members) is "unsure" (null), and the caller asks the full parser. It
 * exists because creating a JSON parser and a String per message was most of the Kafka
 * source's time.
 */
final class FlatObjectScan {
    static final int MAX_MEMBERS = 32;

    private static final int LONGEST_NUMBER = 32;
    private static final int MAX_INTEGER_DIGITS = 18;

    /**
     * The last message scanned in this thread, and what was found. The source's watermark
     * ({@link ReadingEventTime}) and the parse step ({@link PlainReading}) read each message one
     * right after the other in the source task's thread: the second finds the scan here.
     */
    private static final ThreadLocal<LastScan> LAST_SCAN = ThreadLocal.withInitial(LastScan::new);

    private final byte[] bytes;
    private int at;

    private FlatObjectScan(byte[] bytes) {
        this.bytes = bytes;
    }

    /** The members of the flat JSON object {@code bytes} holds, or null when only a full parser can tell. */
    static FlatObject members(byte[] bytes) {
        LastScan last = LAST_SCAN.get();
        if (last.bytes == null || !Arrays.equals(last.bytes, bytes)) {
            last.bytes = bytes.clone(); // the caller's array may be reused
            last.found = new FlatObjectScan(last.bytes).object();
        }
        return last.found;
    }

    private static final class LastScan {
        private byte[] bytes;
        private FlatObject found;
    }

    private FlatObject object() {
        FlatObject found = new FlatObject(bytes);
        skipSpace();
        if (peek() != '{') {
            return null;
        }
        at++;
        skipSpace();
        if (peek() == '}') {
            at++;
            return end() ? found : null;
        }
        while (found.count < MAX_MEMBERS) {
            int keyFrom = at + 1;
            int keyTo = plainString();
            if (keyTo < 0) {
                return null;
            }
            skipSpace();
            if (peek() != ':') {
                return null;
            }
            at++;
            skipSpace();
            int valueFrom = at;
            byte kind;
            if (peek() == '"') {
                valueFrom = at + 1;
                kind = FlatObject.STRING;
                if (plainString() < 0) {
                    return null;
                }
            } else if (number()) {
                kind = FlatObject.NUMBER;
            } else if (literal()) {
                kind = FlatObject.LITERAL;
            } else {
                return null;
            }
            found.add(keyFrom, keyTo, valueFrom, kind == FlatObject.STRING ? at - 1 : at, kind);
            skipSpace();
            int next = peek();
            at++;
            if (next == '}') {
                return end() ? found : null;
            }
            if (next != ',') {
                return null;
            }
            skipSpace();
        }
        return null;
    }

    /** At a quote: skips a string of printable ASCII without escapes; the index of its closing quote, or -1. */
    private int plainString() {
        if (peek() != '"') {
            return -1;
        }
        for (int i = at + 1; i < bytes.length; i++) {
            byte b = bytes[i];
            if (b == '"') {
                at = i + 1;
                return i;
            }
            if (b == '\\' || b < 0x20 || b > 0x7e) {
                return -1;
            }
        }
        return -1;
    }

    private boolean literal() {
        for (String word : new String[] {"true", "false", "null"}) {
            if (startsWith(word)) {
                at += word.length();
                return true;
            }
        }
        return false;
    }

    /**
     * JSON's number grammar, -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, for the numbers every
     * parser agrees on: long ones (an integer beyond 64 bits, a token past {@link #LONGEST_NUMBER}
     * characters) are left to the full parser, whose limits differ.
     */
    private boolean number() {
        int i = at;
        if (i < bytes.length && bytes[i] == '-') {
            i++;
        }
        if (i < bytes.length && bytes[i] == '0') {
            i++;
        } else if (i < bytes.length && bytes[i] >= '1' && bytes[i] <= '9') {
            i = digits(i);
        } else {
            return false;
        }
        if (i < bytes.length && bytes[i] == '.') {
            int after = digits(i + 1);
            if (after == i + 1) {
                return false;
            }
            i = after;
        }
        if (i < bytes.length && (bytes[i] == 'e' || bytes[i] == 'E')) {
            i++;
            if (i < bytes.length && (bytes[i] == '+' || bytes[i] == '-')) {
                i++;
            }
            int after = digits(i);
            if (after == i) {
                return false;
            }
            i = after;
        }
        int unsigned = bytes[at] == '-' ? at + 1 : at;
        boolean plainInteger = digits(unsigned) == i;
        if (i - at > LONGEST_NUMBER || (plainInteger && i - unsigned > MAX_INTEGER_DIGITS)) {
            return false;
        }
        at = i;
        return true;
    }

    private int digits(int from) {
        int i = from;
        while (i < bytes.length && bytes[i] >= '0' && bytes[i] <= '9') {
            i++;
        }
        return i;
    }

    private boolean startsWith(String word) {
        if (at + word.length() > bytes.length) {
            return false;
        }
        for (int i = 0; i < word.length(); i++) {
            if (bytes[at + i] != word.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private boolean end() {
        skipSpace();
        return at == bytes.length;
    }

    private int peek() {
        return at < bytes.length ? bytes[at] : -1;
    }

    private void skipSpace() {
        while (at < bytes.length) {
            byte b = bytes[at];
            if (b != ' ' && b != '\t' && b != '\n' && b != '\r') {
                return;
            }
            at++;
        }
    }

    /** The members {@link FlatObjectScan} found: spans of keys and values in the message's bytes. */
    static final class FlatObject {
        static final byte STRING = 0;
        static final byte NUMBER = 1;
        static final byte LITERAL = 2;

        private final byte[] bytes;
        private final int[] spans = new int[MAX_MEMBERS * 4];
        private final byte[] kinds = new byte[MAX_MEMBERS];
        private int count;

        private FlatObject(byte[] bytes) {
            this.bytes = bytes;
        }

        private void add(int keyFrom, int keyTo, int valueFrom, int valueTo, byte kind) {
            int span = count * 4;
            spans[span] = keyFrom;
            spans[span + 1] = keyTo;
            spans[span + 2] = valueFrom;
            spans[span + 3] = valueTo;
            kinds[count++] = kind;
        }

        /** The position of the last member named {@code name} (ASCII), or -1. */
        int lastIndexOf(byte[] name) {
            for (int member = count - 1; member >= 0; member--) {
                if (keyEquals(member, name, 0, name.length)) {
                    return member;
                }
            }
            return -1;
        }

        /** True when two members share a key: which value is meant is ambiguous. */
        boolean hasRepeatedKey() {
            for (int member = 1; member < count; member++) {
                for (int earlier = 0; earlier < member; earlier++) {
                    if (keyLength(member) == keyLength(earlier)
                            && keyEquals(earlier, bytes, spans[member * 4], keyLength(member))) {
                        return true;
                    }
                }
            }
            return false;
        }

        byte kind(int member) {
            return kinds[member];
        }

        /** The value's text: a string's content without quotes, or a number's or literal's token. */
        String text(int member) {
            int span = member * 4;
            return new String(bytes, spans[span + 2], spans[span + 3] - spans[span + 2], StandardCharsets.US_ASCII);
        }

        private int keyLength(int member) {
            return spans[member * 4 + 1] - spans[member * 4];
        }

        private boolean keyEquals(int member, byte[] other, int otherFrom, int length) {
            if (keyLength(member) != length) {
                return false;
            }
            int from = spans[member * 4];
            for (int i = 0; i < length; i++) {
                if (bytes[from + i] != other[otherFrom + i]) {
                    return false;
                }
            }
            return true;
        }
    }
}
