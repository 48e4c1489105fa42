# Writes the catalogue JSON into a C++ string constant (hex bytes: any content is safe).
file(READ ${INPUT} content HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${content}")
file(WRITE ${OUTPUT}
  "// Generated from norms/catalogue.json. Do not edit.\n"
  "#include <string_view>\n"
  "namespace gridserve {\n"
  "namespace { const unsigned char kData[] = {${bytes} 0}; }\n"
  "std::string_view EmbeddedCatalogueJson() {\n"
  "  return {reinterpret_cast<const char*>(kData), sizeof(kData) - 1};\n"
  "}\n"
  "}  // namespace gridserve\n")
