using System.Buffers.Binary;
using System.Text;

namespace WebGen.Compute.Checkpoints;

/// <summary>A pickle names a global (a class or function to call) that a state dict has no business naming.</summary>
public sealed class UnsafePickleException(string message) : InvalidCheckpointException(message);

/// <summary>
/// Walks a pickle's opcodes without building anything, simulating only the stack's shape, and checks every global
/// it would import (GLOBAL, INST and STACK_GLOBAL) against an allow-list. Run before the real unpickler, so a
/// checkpoint that would call <c>os.system</c> is refused before any of it is constructed. The simulation follows
/// CPython's <c>pickle._Unpickler</c> (marks on a meta-stack, memo by index), so the names checked are the names
/// the unpickler would import.
/// </summary>
public static class PickleScanner
{
    private static readonly object Opaque = new();

    /// <summary>
    /// Checks the pickle that starts at <paramref name="pickle"/>[0] and returns its length in bytes (through STOP),
    /// so pickles written one after another (the legacy format) can be walked in turn.
    /// </summary>
    /// <exception cref="UnsafePickleException">A global outside <paramref name="allowed"/>, or an extension code.</exception>
    /// <exception cref="InvalidCheckpointException">The bytes are not a well-formed pickle.</exception>
    public static int Scan(ReadOnlySpan<byte> pickle, IReadOnlySet<string> allowed, string what)
    {
        var stack = new List<object>();
        var metastack = new Stack<List<object>>();
        var memo = new Dictionary<long, object>();
        var position = 0;

        InvalidCheckpointException Malformed(string why) => new($"{what} is not a valid pickle: {why} at byte {position}.");
        ReadOnlySpan<byte> Take(ReadOnlySpan<byte> data, long count)
        {
            if (count < 0 || count > data.Length - position) throw Malformed("it ends early");
            var taken = data.Slice(position, (int)count);
            position += (int)count;
            return taken;
        }
        string Line(ReadOnlySpan<byte> data)
        {
            var end = data[position..].IndexOf((byte)'\n');
            if (end < 0) throw Malformed("a line has no end");
            var line = Encoding.UTF8.GetString(data.Slice(position, end));
            position += end + 1;
            return line;
        }
        object Pop()
        {
            if (stack.Count == 0) throw Malformed("the stack is empty");
            var top = stack[^1];
            stack.RemoveAt(stack.Count - 1);
            return top;
        }
        void PopMark()
        {
            if (metastack.Count == 0) throw Malformed("no MARK to pop to");
            stack = metastack.Pop();
        }
        object Top() => stack.Count > 0 ? stack[^1] : throw Malformed("the stack is empty");
        void CheckGlobal(string module, string name)
        {
            if (!allowed.Contains($"{module}.{name}"))
                throw new UnsafePickleException(
                    $"{what} asks for the Python global {module}.{name}, which a state dict never needs; refused without " +
                    $"loading anything. Accepted globals: {string.Join(", ", allowed.Order(StringComparer.Ordinal))}.");
        }
        object Fetch(long index) => memo.TryGetValue(index, out var value) ? value : throw Malformed($"memo entry {index} is not set");

        while (true)
        {
            if (position >= pickle.Length) throw Malformed("no STOP opcode");
            var opcode = pickle[position++];
            switch (opcode)
            {
                case (byte)'.': // STOP
                    if (stack.Count == 0) throw Malformed("STOP finds no value");
                    return position;
                case 0x80: Take(pickle, 1); break; // PROTO
                case 0x95: Take(pickle, 8); break; // FRAME
                case (byte)'(': metastack.Push(stack); stack = []; break; // MARK
                case (byte)'0': Pop(); break; // POP
                case (byte)'1': PopMark(); break; // POP_MARK
                case (byte)'2': stack.Add(Top()); break; // DUP

                // Values that cannot name a global.
                case (byte)'F' or (byte)'I' or (byte)'L': Line(pickle); stack.Add(Opaque); break; // FLOAT INT LONG
                case (byte)'J': Take(pickle, 4); stack.Add(Opaque); break; // BININT
                case (byte)'K': Take(pickle, 1); stack.Add(Opaque); break; // BININT1
                case (byte)'M': Take(pickle, 2); stack.Add(Opaque); break; // BININT2
                case (byte)'G': Take(pickle, 8); stack.Add(Opaque); break; // BINFLOAT
                case 0x8a: Take(pickle, Take(pickle, 1)[0]); stack.Add(Opaque); break; // LONG1
                case 0x8b: Take(pickle, Length4(Take(pickle, 4))); stack.Add(Opaque); break; // LONG4
                case (byte)'N' or 0x88 or 0x89: stack.Add(Opaque); break; // NONE NEWTRUE NEWFALSE
                case (byte)'B': Take(pickle, Length4(Take(pickle, 4))); stack.Add(Opaque); break; // BINBYTES
                case (byte)'C': Take(pickle, Take(pickle, 1)[0]); stack.Add(Opaque); break; // SHORT_BINBYTES
                case 0x8e or 0x96: Take(pickle, Length8(Take(pickle, 8))); stack.Add(Opaque); break; // BINBYTES8 BYTEARRAY8
                case (byte)'}' or (byte)']' or (byte)')' or 0x8f: stack.Add(Opaque); break; // EMPTY_DICT/LIST/TUPLE/SET

                // Strings: kept, since STACK_GLOBAL takes its module and name from the stack.
                case (byte)'S' or (byte)'V': stack.Add(Line(pickle).Trim('\'', '"')); break; // STRING UNICODE
                case (byte)'T': stack.Add(Latin1(Take(pickle, Length4(Take(pickle, 4))))); break; // BINSTRING
                case (byte)'U': stack.Add(Latin1(Take(pickle, Take(pickle, 1)[0]))); break; // SHORT_BINSTRING
                case (byte)'X': stack.Add(Encoding.UTF8.GetString(Take(pickle, Length4(Take(pickle, 4))))); break; // BINUNICODE
                case 0x8c: stack.Add(Encoding.UTF8.GetString(Take(pickle, Take(pickle, 1)[0]))); break; // SHORT_BINUNICODE
                case 0x8d: stack.Add(Encoding.UTF8.GetString(Take(pickle, Length8(Take(pickle, 8))))); break; // BINUNICODE8

                // The memo.
                case (byte)'p': memo[ParseIndex(Line(pickle))] = Top(); break; // PUT
                case (byte)'q': memo[Take(pickle, 1)[0]] = Top(); break; // BINPUT
                case (byte)'r': memo[Length4(Take(pickle, 4))] = Top(); break; // LONG_BINPUT
                case 0x94: memo[memo.Count] = Top(); break; // MEMOIZE
                case (byte)'g': stack.Add(Fetch(ParseIndex(Line(pickle)))); break; // GET
                case (byte)'h': stack.Add(Fetch(Take(pickle, 1)[0])); break; // BINGET
                case (byte)'j': stack.Add(Fetch(Length4(Take(pickle, 4)))); break; // LONG_BINGET

                // Globals: the whole point.
                case (byte)'c': // GLOBAL module\nname\n
                    CheckGlobal(Line(pickle), Line(pickle));
                    stack.Add(Opaque);
                    break;
                case (byte)'i': // INST module\nname\n: a class called with the values since the mark
                    CheckGlobal(Line(pickle), Line(pickle));
                    PopMark();
                    stack.Add(Opaque);
                    break;
                case 0x93: // STACK_GLOBAL
                    {
                        var name = Pop();
                        var module = Pop();
                        if (module is not string m || name is not string n)
                            throw new UnsafePickleException($"{what} builds a global's name at run time; refused without loading anything.");
                        CheckGlobal(m, n);
                        stack.Add(Opaque);
                        break;
                    }
                case 0x82 or 0x83 or 0x84: // EXT1 EXT2 EXT4: globals from the copyreg registry
                    throw new UnsafePickleException($"{what} names a global by an extension code (copyreg); refused without loading anything.");

                // Calls and containers: only their effect on the stack matters here.
                case (byte)'P': Line(pickle); stack.Add(Opaque); break; // PERSID
                case (byte)'Q': Pop(); stack.Add(Opaque); break; // BINPERSID
                case (byte)'R' or 0x81: Pop(); Pop(); stack.Add(Opaque); break; // REDUCE NEWOBJ
                case 0x92: Pop(); Pop(); Pop(); stack.Add(Opaque); break; // NEWOBJ_EX
                case (byte)'b': Pop(); Top(); break; // BUILD
                case (byte)'a': Pop(); Top(); break; // APPEND
                case (byte)'s': Pop(); Pop(); Top(); break; // SETITEM
                case (byte)'e' or (byte)'u' or 0x90: PopMark(); Top(); break; // APPENDS SETITEMS ADDITEMS
                case (byte)'l' or (byte)'t' or (byte)'d' or 0x91 or (byte)'o': PopMark(); stack.Add(Opaque); break; // LIST TUPLE DICT FROZENSET OBJ
                case 0x85: Pop(); stack.Add(Opaque); break; // TUPLE1
                case 0x86: Pop(); Pop(); stack.Add(Opaque); break; // TUPLE2
                case 0x87: Pop(); Pop(); Pop(); stack.Add(Opaque); break; // TUPLE3
                default:
                    throw Malformed($"opcode 0x{opcode:x2} is not one a state dict uses");
            }
        }

        static long Length4(ReadOnlySpan<byte> bytes) => BinaryPrimitives.ReadUInt32LittleEndian(bytes);
        static long Length8(ReadOnlySpan<byte> bytes) => (long)Math.Min(BinaryPrimitives.ReadUInt64LittleEndian(bytes), long.MaxValue);
        static string Latin1(ReadOnlySpan<byte> bytes) => Encoding.Latin1.GetString(bytes);
        long ParseIndex(string line) => long.TryParse(line, out var index) ? index : throw Malformed($"'{line}' is not a memo index");
    }
}
