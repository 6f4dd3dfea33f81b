/**
 * Function words dropped before retrieval. Short on purpose: BM25's IDF already discounts common
 * words; these lists only remove the ones that carry no topic and would make posting lists long.
 * Negations live here too (retrieval ignores them); the sentiment scorer has its own lists.
 */
const LISTS: Record<string, string> = {
  en: `a about above after again all also am an and any are as at be because been before being below
    between both but by can could did do does doing don down during each few for from further had has
    have having he her here hers herself him himself his how i i'm if in into is it its itself just let
    me more most my myself no nor not now of off on once only or other our ours ourselves out over own
    please same she should so some such than that the their theirs them themselves then there these
    they this those through to too under until up very was we were what when where which while who
    whom why will with would you your yours yourself yourselves s t ll ve re d m hi hello hey thanks
    thank ok okay would like want wanna need get got im ive dont cant`,
  es: `a al algo algunas algunos ante antes como con contra cual cuando de del desde donde durante e el
    ella ellas ellos en entre era es esa esas ese eso esos esta estaba estas este esto estos fue ha hay
    la las le les lo los mas me mi mis mucho muy nada ni no nos o os otra otro para pero por porque que
    quien se sea ser si sin sobre su sus también te tengo tiene tu tus un una uno unos y ya yo hola
    gracias quiero necesito puedo`,
  fr: `a au aux avec ce ces cet cette dans de des du elle elles en est et eu il ils je la le les leur
    leurs lui ma mais me mes moi mon ne nos notre nous on ou par pas pour qu que qui sa se ses son sur
    ta te tes toi ton tu un une vos votre vous y c d j l m n s t été être avoir ai bonjour merci veux
    voudrais besoin peux comment`,
  de: `aber als am an auch auf aus bei bin bis da das dass dein deine dem den der des die doch dort du
    durch ein eine einem einen einer eines er es für hab habe hat hatte ich ihr ihre im in ist ja kann
    kein keine man mein meine mich mir mit nach nicht noch nur oder sein seine sich sie sind so über um
    und uns unser vom von vor war was weil wie wir wird wo zu zum zur hallo danke bitte möchte will
    brauche`,
  pt: `a ao aos as com como da das de do dos e ela elas ele eles em entre era essa esse esta este eu foi
    há isso isto já lhe mais mas me meu minha muito na nas nem no nos não o os ou para pela pelo por
    qual que quando se sem seu sua são também te tem um uma você vocês olá obrigado obrigada quero
    preciso posso`,
  it: `a ad al alla alle anche che chi ci come con da dal dalla del della delle dei di e ed è gli ha ho
    i il in io la le lei lo loro lui ma mi mia mio ne nei nel nella no non o per più quale questa
    questo se si sono su sua suo ti tra tu un una uno voi ciao grazie voglio vorrei posso`,
  nl: `aan al als bij dan dat de der die dit door een en er had heb heeft hem het hij hoe ik in is ja je
    kan maar me met mij mijn na naar niet nog nu of om ons ook op over te tot u uit van voor was wat
    we wel wij zal ze zich zij zijn hallo dank bedankt wil graag`,
};

export const STOPWORDS: Record<string, ReadonlySet<string>> = Object.fromEntries(
  Object.entries(LISTS).map(([lang, words]) => [lang, new Set(words.split(/\s+/).filter(Boolean))]),
);
