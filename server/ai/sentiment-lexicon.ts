/**
 * Valence lexicons for the local sentiment scorer, -4 (very negative) .. +4 (very positive), in the
 * spirit of VADER/AFINN but written for customer-support language (billing, delivery, accounts).
 * Keys are lowercased; a trailing `*` matches any ending ("frustrat*"). English is the broadest;
 * Spanish, French, German, Portuguese and Italian cover the common support vocabulary.
 */
export interface Lexicon {
  words: Record<string, number>;
  /** Multi-word expressions, matched before single words ("no problem", "waste of time"). */
  phrases: Record<string, number>;
  negators: string[];
  /** Scale the next sentiment word: > 0 boosts, < 0 dampens. */
  intensifiers: Record<string, number>;
  /** Contrast words: what follows weighs more than what came before. */
  contrast: string[];
}

const parse = (spec: string): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const line of spec.split('\n')) {
    const m = /^\s*(-?\d(?:\.\d)?)\s*:\s*(.+)$/.exec(line);
    if (!m) continue;
    for (const w of m[2]!.split(',')) if (w.trim()) out[w.trim()] = Number(m[1]);
  }
  return out;
};

const EN = parse(`
  3.2: excellent, amazing, awesome, fantastic, wonderful, outstanding, perfect, superb, brilliant, delighted, thrilled, love, loved, loving, lovely
  2.6: great, happy, glad, pleased, grateful, appreciate*, impressed, enjoy*, recommend*, satisfied, fabulous, incredible
  2.0: good, nice, thank*, thx, helpful, friendly, easy, smooth, resolved, solved, fixed, best, better, beautiful, cool, reliable
  1.5: ok, okay, fine, fair, useful, convenient, polite, patient, efficient, correct, pleasant, welcome, success*, effective, fast
  1.2: works, worked
  -0.6: problem*, issue*, trouble, error*, mistake*
  -1.2: slow, late, delay*, confus*, unclear, complicated, difficult, unsure, worried, concerned, wrong, missing, lost, stuck, fail*, bug*, glitch*, broken, damaged, defective, expensive, overcharg*, unfortunately, sadly, waiting, hassle, complain*, complaint*
  -2.0: bad, poor, unhappy, upset, annoyed, annoying, frustrat*, disappoint*, dissatisfied, unacceptable, useless, rude, unhelpful, waste*, wasted, refus*, ignored, worse, sucks, sick, tired, fault*, incompetent, irritat*, misleading, nightmare, ridiculous, pathetic, mess
  -2.8: terrible, awful, horrible, worst, hate, hated, angry, furious, outraged, livid, disgust*, scam*, fraud*, stole*, stolen, lied, liar*, lying, appalling, shocking, disgrace*, abysmal, atrocious, unbelievable
  -3.2: damn, damned, goddamn, crap, crappy, shit, shitty, fucking, fuck, fucked, bullshit, wtf
`);

const EN_PHRASES = parse(`
  2.0: thank you, thanks a lot, much appreciated, well done, good job, great job, works now, working now, all good, that helps, that helped, problem solved, sorted out
  0.5: no problem, no worries, no issue, no issues, not a problem
  -2.0: waste of time, not working, doesn't work, does not work, didn't work, did not work, stopped working, not work, still waiting, no response, no answer, no reply, nobody answers, never arrived, never received, not received, haven't received, have not received, not arrived, hasn't arrived, has not arrived, charged twice, double charged, on hold, sick of, fed up, let down, ripped off, rip off, give up
  -2.8: worst service, the worst, total joke, so frustrating, never again, speak to a manager, talk to a manager
`);

const ES = parse(`
  3.0: excelente, perfecto, perfecta, maravilloso, maravillosa, encantado, encantada, genial, fantástico, increíble
  2.2: bueno, buena, gracias, feliz, contento, contenta, satisfecho, satisfecha, agradecido, agradecida, amable, rápido, rápida, útil, resuelto, solucionado, funciona, bien, mejor
  -1.2: problema*, error*, retraso*, lento, lenta, tarde, perdido, perdida, roto, rota, dañado, dañada, falla*, fallo*, preocupado, preocupada, confuso
  -2.2: mal, malo, mala, molesto, molesta, enfadado, enfadada, enojado, enojada, decepcionado, decepcionada, frustrado, frustrada, inaceptable, inútil, queja*, reclamación, nunca, peor
  -3.0: horrible, terrible, pésimo, pésima, fatal, estafa*, fraude*, vergüenza, furioso, furiosa, odio, asco
`);
const FR = parse(`
  3.0: excellent, excellente, parfait, parfaite, génial, géniale, merveilleux, fantastique, ravi, ravie, formidable
  2.2: bon, bonne, merci, content, contente, satisfait, satisfaite, heureux, heureuse, aimable, rapide, utile, résolu, fonctionne, bien, mieux, super
  -1.2: problème*, erreur*, retard*, lent, lente, perdu, perdue, cassé, cassée, endommagé, panne, inquiet, inquiète, compliqué
  -2.2: mauvais, mauvaise, mal, déçu, déçue, énervé, énervée, fâché, fâchée, frustré, frustrée, inacceptable, inutile, plainte*, jamais, pire, nul, nulle
  -3.0: horrible, terrible, lamentable, arnaque*, escroquerie*, honteux, honte, furieux, furieuse, déteste, scandaleux
`);
const DE = parse(`
  3.0: ausgezeichnet, perfekt, wunderbar, fantastisch, großartig, hervorragend, super, begeistert, toll
  2.2: gut, danke, zufrieden, froh, glücklich, freundlich, schnell, hilfreich, gelöst, funktioniert, besser
  -1.2: problem*, fehler*, verspätet, verspätung, langsam, verloren, kaputt, beschädigt, defekt, leider, kompliziert, besorgt
  -2.2: schlecht, schlechter, enttäuscht, verärgert, ärgerlich, frustriert, unzufrieden, inakzeptabel, nutzlos, beschwerde*, nie, niemals, unfreundlich
  -3.0: schrecklich, furchtbar, katastrophal, betrug*, abzocke, wütend, hasse, unverschämt, miserabel
`);
const PT = parse(`
  3.0: excelente, perfeito, perfeita, maravilhoso, maravilhosa, fantástico, incrível, ótimo, ótima
  2.2: bom, boa, obrigado, obrigada, feliz, contente, satisfeito, satisfeita, rápido, rápida, útil, resolvido, funciona, bem, melhor
  -1.2: problema*, erro*, atraso*, lento, lenta, perdido, perdida, quebrado, danificado, preocupado, preocupada
  -2.2: mau, má, ruim, chateado, chateada, irritado, irritada, decepcionado, decepcionada, frustrado, frustrada, inaceitável, inútil, reclamação, nunca, pior
  -3.0: horrível, terrível, péssimo, péssima, golpe, fraude*, vergonha, furioso, furiosa, odeio
`);
const IT = parse(`
  3.0: eccellente, perfetto, perfetta, meraviglioso, meravigliosa, fantastico, fantastica, ottimo, ottima, splendido
  2.2: buono, buona, grazie, felice, contento, contenta, soddisfatto, soddisfatta, gentile, veloce, utile, risolto, funziona, bene, meglio
  -1.2: problema*, errore*, ritardo*, lento, lenta, perso, persa, rotto, rotta, danneggiato, preoccupato, preoccupata
  -2.2: male, cattivo, cattiva, deluso, delusa, arrabbiato, arrabbiata, frustrato, frustrata, inaccettabile, inutile, reclamo, mai, peggio, peggiore
  -3.0: orribile, terribile, pessimo, pessima, truffa*, vergogna, furioso, furiosa, odio, schifo
`);

const EN_INTENS: Record<string, number> = {
  very: 0.3,
  really: 0.3,
  so: 0.3,
  extremely: 0.45,
  incredibly: 0.45,
  absolutely: 0.4,
  totally: 0.35,
  completely: 0.35,
  utterly: 0.45,
  super: 0.3,
  truly: 0.3,
  highly: 0.3,
  most: 0.3,
  such: 0.25,
  too: 0.2,
  quite: 0.15,
  slightly: -0.4,
  somewhat: -0.3,
  barely: -0.5,
  hardly: -0.5,
  little: -0.3,
  bit: -0.3,
  kinda: -0.3,
  fairly: -0.15,
};

export const LEXICONS: Record<string, Lexicon> = {
  en: {
    words: EN,
    phrases: EN_PHRASES,
    negators: [
      'not',
      'no',
      'never',
      'none',
      'nothing',
      'nobody',
      'neither',
      'nor',
      'without',
      "don't",
      "doesn't",
      "didn't",
      "isn't",
      "aren't",
      "wasn't",
      "weren't",
      "won't",
      "wouldn't",
      "can't",
      'cannot',
      "couldn't",
      "shouldn't",
      "haven't",
      "hasn't",
      "hadn't",
      'dont',
      'doesnt',
      'didnt',
      'isnt',
      'wasnt',
      'wont',
      'cant',
      'couldnt',
      'havent',
      'hasnt',
      'aint',
    ],
    intensifiers: EN_INTENS,
    contrast: ['but', 'however', 'although', 'though', 'yet'],
  },
  es: {
    words: ES,
    phrases: parse(
      `-2.0: no funciona, sin respuesta, no llegó, no ha llegado, todavía espero\n0.8: no hay problema, sin problema`,
    ),
    negators: ['no', 'nunca', 'jamás', 'ni', 'sin', 'tampoco', 'nada', 'nadie'],
    intensifiers: {
      muy: 0.3,
      tan: 0.3,
      súper: 0.3,
      realmente: 0.3,
      totalmente: 0.35,
      bastante: 0.15,
      poco: -0.4,
      algo: -0.3,
    },
    contrast: ['pero', 'sin embargo', 'aunque'],
  },
  fr: {
    words: FR,
    phrases: parse(
      `-2.0: ne fonctionne pas, ne marche pas, pas de réponse, toujours pas, jamais reçu\n0.8: pas de problème, pas de souci`,
    ),
    negators: ['ne', 'pas', "n'", 'jamais', 'rien', 'aucun', 'aucune', 'sans', 'personne', 'ni'],
    intensifiers: {
      très: 0.3,
      vraiment: 0.3,
      tellement: 0.35,
      trop: 0.25,
      totalement: 0.35,
      assez: 0.15,
      peu: -0.4,
    },
    contrast: ['mais', 'cependant', 'pourtant', 'toutefois'],
  },
  de: {
    words: DE,
    phrases: parse(
      `-2.0: funktioniert nicht, keine antwort, nicht angekommen, immer noch nicht\n0.8: kein problem`,
    ),
    negators: [
      'nicht',
      'kein',
      'keine',
      'keinen',
      'keinem',
      'keiner',
      'nie',
      'niemals',
      'nichts',
      'ohne',
      'weder',
    ],
    intensifiers: {
      sehr: 0.3,
      wirklich: 0.3,
      total: 0.35,
      extrem: 0.45,
      echt: 0.3,
      ziemlich: 0.15,
      etwas: -0.3,
      kaum: -0.5,
    },
    contrast: ['aber', 'jedoch', 'allerdings', 'obwohl'],
  },
  pt: {
    words: PT,
    phrases: parse(
      `-2.0: não funciona, sem resposta, não chegou, ainda espero\n0.8: sem problema, não tem problema`,
    ),
    negators: ['não', 'nunca', 'jamais', 'nem', 'sem', 'nada', 'ninguém', 'nenhum', 'nenhuma'],
    intensifiers: {
      muito: 0.3,
      tão: 0.3,
      super: 0.3,
      realmente: 0.3,
      totalmente: 0.35,
      bastante: 0.15,
      pouco: -0.4,
    },
    contrast: ['mas', 'porém', 'contudo', 'embora'],
  },
  it: {
    words: IT,
    phrases: parse(
      `-2.0: non funziona, nessuna risposta, non è arrivato, ancora aspetto\n0.8: nessun problema`,
    ),
    negators: ['non', 'mai', 'niente', 'nulla', 'nessuno', 'nessuna', 'senza', 'né'],
    intensifiers: {
      molto: 0.3,
      davvero: 0.3,
      troppo: 0.25,
      veramente: 0.3,
      totalmente: 0.35,
      abbastanza: 0.15,
      poco: -0.4,
    },
    contrast: ['ma', 'però', 'tuttavia', 'anche se'],
  },
};
