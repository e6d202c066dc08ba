"""The grammar's tokens, for the fast reader (descent.py).

GENERATED from grammars/archlang.lark by `make parser` (archlang/syntax/make_lexicon.py,
from the terminals Lark compiles): do not edit. tests/syntax/test_parser_tables.py fails
when this file is not what the grammar makes."""

# The space and comments before a token (what Lark ignores: COMMENT, __IGNORE_1),
# then one token, its terminals tried in Lark's order, or any other character (the
# reader declines), or the end of the text.
TOKEN = (
    '((?>(?:#[^\n]*|\\s+)*))'
    r"(?:"
    r"(\d+(?:_\d+)*(?:x\d+(?:_\d+)*)+(?![\w.]))"  # ASCII_SHAPE
    r"|((?:\d+(?:_\d+)*(?:\.(?!\.)\d*)?|\.\d+)(?:[eE][+-]?\d+)?)"  # NUMBER
    '|("(?:[^"\\\\\n]|\\\\.)*")'  # STRING
    r"|([^\W\d]\w*)"  # NAME
    r"|(//|\.\.|=>|\^|:|,|÷|=|\{|\(|\-|\+|\}|\)|;|/|\*|×)"  # punctuation: // .. => ^ : , ÷ = { ( - + } ) ; / * ×
    r"|((?s:.))"
    r"|\Z)"
)

# The kind of the token in group i of TOKEN (i = match.lastindex): a pattern terminal's
# name; None for punctuation (a punctuation token's text is its kind); '$END' where only
# the space matched, at the end of the text; '$OTHER' for any other character.
END, OTHER = '$END', '$OTHER'
KINDS = (None, '$END', 'ASCII_SHAPE', 'NUMBER', 'STRING', 'NAME', None, '$OTHER')

# Words that a pattern terminal (NAME) also matches: keywords, told apart after the
# match (Lark's contextual lexer decides them state by state).
KEYWORDS = frozenset(['block', 'by', 'import', 'in', 'model', 'of', 'param', 'return', 'train'])
# Every string terminal by its name in Lark (as Lark's errors name what they expected).
STRINGS = {
    'BLOCK': 'block', 'BY': 'by', 'CARET': '^', 'COLON': ':', 'COMMA': ',', 'DIVIDE': '÷',
    'EQUAL': '=', 'FLOORDIV': '//', 'IMPORT': 'import', 'IN': 'in', 'LBRACE': '{', 'LPAR': '(',
    'MINUS': '-', 'MODEL': 'model', 'OF': 'of', 'PARAM': 'param', 'PLUS': '+', 'RBRACE': '}',
    'RETURN': 'return', 'RPAR': ')', 'SEMICOLON': ';', 'SLASH': '/', 'STAR': '*', 'TIMES': '×',
    'TRAIN': 'train', '__ANON_0': '..', '__ANON_1': '=>',
}
# The keywords a definition starts with, in the grammar's order.
DEFINITION_KEYWORDS = ('import', 'block', 'model', 'train', 'param')
