/** Well-known models of the Ollama library (ollama.com/library), offered by "Pull Model...". */
export interface LibraryModel {
    name: string;
    description: string;
}

export const LIBRARY_MODELS: readonly LibraryModel[] = [
    { name: "llama3.2:3b", description: "Meta Llama 3.2, 3B, general chat (2.0 GB)" },
    { name: "llama3.2:1b", description: "Meta Llama 3.2, 1B, small and fast (1.3 GB)" },
    { name: "llama3.1:8b", description: "Meta Llama 3.1, 8B, 128k context (4.9 GB)" },
    { name: "llama3:8b", description: "Meta Llama 3, 8B, the Namel3ss default (4.7 GB)" },
    { name: "llama3:70b", description: "Meta Llama 3, 70B (40 GB)" },
    { name: "mistral:7b", description: "Mistral 7B v0.3 (4.1 GB)" },
    { name: "mistral:latest", description: "Mistral 7B, latest tag (4.1 GB)" },
    { name: "mixtral:8x7b", description: "Mixtral mixture of experts (26 GB)" },
    { name: "phi3:mini", description: "Microsoft Phi-3 Mini, 3.8B (2.2 GB)" },
    { name: "phi4:14b", description: "Microsoft Phi-4, 14B (9.1 GB)" },
    { name: "gemma2:2b", description: "Google Gemma 2, 2B (1.6 GB)" },
    { name: "gemma2:9b", description: "Google Gemma 2, 9B (5.4 GB)" },
    { name: "gemma3:4b", description: "Google Gemma 3, 4B, vision (3.3 GB)" },
    { name: "qwen2.5:7b", description: "Alibaba Qwen 2.5, 7B (4.7 GB)" },
    { name: "qwen2.5-coder:7b", description: "Qwen 2.5 Coder, 7B (4.7 GB)" },
    { name: "qwen3:8b", description: "Alibaba Qwen 3, 8B, thinking (5.2 GB)" },
    { name: "deepseek-r1:7b", description: "DeepSeek-R1 distill, 7B, reasoning (4.7 GB)" },
    { name: "codellama:7b", description: "Meta Code Llama, 7B (3.8 GB)" },
    { name: "llava:7b", description: "LLaVA vision model, 7B (4.7 GB)" },
    { name: "tinyllama:1.1b", description: "TinyLlama, 1.1B, for quick tests (638 MB)" },
    { name: "nomic-embed-text:latest", description: "Embedding model, 137M (274 MB)" },
    { name: "mxbai-embed-large:latest", description: "Embedding model, 335M (670 MB)" },
];
