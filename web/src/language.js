// Highlighting of .arch text for CodeMirror's StreamLanguage, after grammars/archlang.lark
// (the TextMate grammar in editors/archlang.tmLanguage.json follows the same tokens).
export const archlang = {
  name: "archlang",
  token(stream) {
    if (stream.eatSpace()) return null;
    if (stream.match(/#.*/)) return "comment";
    if (stream.match(/"(?:[^"\\\n]|\\.)*"?/)) return "string";
    if (stream.match(/\d+(?:_\d+)*(?:x\d+(?:_\d+)*)+(?![\w.])/)) return "number";
    if (stream.match(/(?:\d+(?:_\d+)*(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/)) return "number";
    if (stream.match(/(?:model|block|import|train|param|return|in|by|of)(?![\w])/)) return "keyword";
    if (stream.match(/(?:true|false)(?![\w])/)) return "atom";
    if (stream.match(/=>|×|\/\/|[+\-*/÷^=]/)) return "operator";
    if (stream.match(/(?:Chain|SkipConnection|Parallel|repeat|cat)(?![\w])/)) return "keyword";
    if (stream.match(/[A-Z]\w*/)) return "typeName";
    if (stream.match(/[^\W\d]\w*/u)) return "variableName";
    stream.next();
    return null;
  },
  languageData: { commentTokens: { line: "#" } },
};
